"""The official 附件3 / 附件4 / 附页 layouts as data: titles, header rows, column keys, widths,
and the header names (with the variants people type) that identify each column on import."""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.records.text import strip_all_spaces


@dataclass(frozen=True)
class Column:
    """One column: its record key, its header (top row, and sub-row under a group), its width."""

    key: str
    header: str
    width: float
    group: str = ""  # the merged top-row header this column sits under, e.g. 联系电话


@dataclass(frozen=True)
class Layout:
    """A summary table: title, the 基层党委/汇总日期 rows and the two-row header."""

    title: str
    party_label: str  # "基层党委：" (附件3/4) or "基层党组织：" (附页)
    columns: tuple[Column, ...]
    two_row_header: bool = True

    @property
    def width(self) -> int:
        return len(self.columns)


SEQ = "seq"  # 序号: written on export, ignored on import
PARENT_HEADER = "上级党组织"
TITLE_ROW, PARTY_ROW, DATE_ROW, HEADER_ROW = 1, 2, 3, 4

MEMBER_LAYOUT = Layout(
    title="党员基本信息汇总表",
    party_label="基层党委：",
    columns=(
        Column(SEQ, "序号", 6), Column("name", "姓名", 10), Column("branch", "所在党支部", 30),
        Column("id_number", "公民身份证号", 21), Column("sex", "性别", 6),
        Column("ethnicity", "民族", 6), Column("birth_date", "出生日期", 12),
        Column("education", "学历", 6), Column("member_type", "人员类别", 10),
        Column("joined_on", "加入党组织日期", 12), Column("full_on", "转为正式党员日期", 12),
        Column("job", "工作岗位", 8), Column("mobile", "手机号", 13, "联系电话"),
        Column("landline", "固定电话", 15, "联系电话"), Column("address", "家庭住址", 30),
        Column("party_status", "党籍状态", 9), Column("is_lost", "是否为失联党员", 8),
        Column("lost_since", "失去联系日期", 10), Column("is_floating", "是否为流动党员", 8),
        Column("flow_to", "外出流向", 24),
    ),
)

ORG_LAYOUT = Layout(
    title="党组织和所在单位信息汇总表",
    party_label="基层党委：",
    columns=(
        Column(SEQ, "序号", 6), Column("name", "党组织名称", 32),
        Column("org_type", "组织类别", 8, "党组织信息"),
        Column("unit_situation", "党组织所在单位情况", 12, "党组织信息"),
        Column("secretary", "党组织书记", 10, "党组织信息"),
        Column("contact", "党组织联系人", 10, "党组织信息"),
        Column("contact_phone", "联系电话", 14, "党组织信息"),
        Column("unit.name", "单位名称", 30, "单位信息"),
        Column("unit.unit_type", "单位类别", 8, "单位信息"),
        Column("unit.party_org_status", "单位建立党组织情况", 10, "单位信息"),
        Column("unit.unit_code", "党组织所在单位代码", 21, "单位信息"),
        # Not in the official form: added after its columns (and outside the print area) so
        # that an export carries the tree back; the workbook's 说明 sheet says so.
        Column("parent", PARENT_HEADER, 32),
    ),
)
OFFICIAL_ORG_COLUMNS = len(ORG_LAYOUT.columns) - 1  # A-K; the 上级党组织 column is L

# Seed 002's sheet2: one org (named in its "基层党组织：" line) and only its units after the first.
UNIT_SHEET_TITLE = "党组织和所在单位基本信息采集表附页"
UNIT_LAYOUT = Layout(
    title=UNIT_SHEET_TITLE,
    party_label="基层党组织：",
    columns=(
        Column(SEQ, "序号", 6), Column("name", "单位名称", 30), Column("unit_type", "单位类别", 8),
        Column("unit_code", "党组织所在单位代码", 21),
    ),
    two_row_header=False,
)
# What an imported 附页 may hold besides: the org's name on each line (one sheet for many orgs)
# and 单位建立党组织情况, as this system's earlier exports wrote them.
UNIT_READ_LAYOUT = Layout(
    title=UNIT_SHEET_TITLE,
    party_label="基层党组织：",
    columns=(
        Column(SEQ, "序号", 6), Column("org", "党组织名称", 32), Column("name", "单位名称", 30),
        Column("unit_type", "单位类别", 8), Column("party_org_status", "单位建立党组织情况", 10),
        Column("unit_code", "党组织所在单位代码", 21),
    ),
    two_row_header=False,
)

# Header spellings met in real sheets and older systems' exports, by record key.
_ALIASES: dict[str, tuple[str, ...]] = {
    SEQ: ("编号", "序"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "公民身份证号码", "身份证"),
    "birth_date": ("出生年月", "出生年月日"),
    "education": ("最高学历", "文化程度"),
    "member_type": ("党员类型", "党员类别"),
    "branch": ("所在支部", "党支部", "所在党组织", "所属党支部", "支部名称"),
    "joined_on": ("入党日期", "入党时间", "加入党组织时间"),
    "full_on": ("转正日期", "转正时间", "转为正式党员时间"),
    "job": ("工作岗位代码", "岗位"),
    "mobile": ("手机", "手机号码", "联系电话手机号", "移动电话"),
    "landline": ("座机", "固定电话号码", "联系电话固定电话", "固话"),
    "lost_since": ("失联日期", "失去联系时间", "失联时间"),
    "is_lost": ("是否失联党员", "是否失联"),
    "is_floating": ("是否流动党员", "是否流动"),
    "flow_to": ("流向", "外出流向地"),
    "unit_situation": ("所在单位情况",),
    "unit.unit_code": ("单位代码", "统一社会信用代码", "组织机构代码"),
    "unit.party_org_status": ("建立党组织情况",),
    "parent": ("上级党组织名称", "上级党组织全称", "上级组织名称", "上级组织"),
}
_PARENS = re.compile(r"[(（][^)）]*[)）]")


def header_key(text: str) -> str:
    """Return a header cell reduced for matching: no spaces, line breaks or colons."""
    return strip_all_spaces(text).rstrip(":：")


def column_index(layout: Layout) -> dict[str, str]:
    """Return {reduced header text: record key} for every header spelling of a layout."""
    index: dict[str, str] = {}
    for col in layout.columns:
        index[header_key(col.header)] = col.key
        bare = col.key.removeprefix("unit.")
        for alias in _ALIASES.get(col.key, ()) + _ALIASES.get(bare, ()):
            index.setdefault(header_key(alias), col.key)
    return index


def match_header(text: str, index: dict[str, str]) -> str | None:
    """Return the record key a header cell names, trying it without its bracketed note too."""
    key = header_key(text)
    if key in index:
        return index[key]
    bare = _PARENS.sub("", key)
    if bare in index:
        note = key[len(bare):] if key.startswith(bare) else ""
        if bare == "联系电话" and "手机" in note and "mobile" in index.values():
            return "mobile"
        landline_note = "固定" in note or "座机" in note
        if bare == "联系电话" and landline_note and "landline" in index.values():
            return "landline"
        return index[bare]
    return None
