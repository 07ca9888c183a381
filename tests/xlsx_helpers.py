"""Rosters written cell by cell with plain openpyxl in the official 附件3/附件4 layouts,
independently of the project's writer, the way people fill them (tricky but valid values)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from testkit.factories import synthetic_id

COMMITTEE = "中共测试县林业局委员会"
BRANCH_A = "中共测试县林业局机关第一支部委员会"
BRANCH_B = "中共测试县林业局（营林站）支部委员会"

# 附件4 header in the official order: (top row, sub row); 联系电话 spans two columns.
MEMBER_HEADER = [
    ("序号", None), ("姓名", None), ("所在党支部", None), ("公民身份证号", None), ("性别", None),
    ("民族", None), ("出生日期", None), ("学历", None), ("人员类别", None),
    ("加入党组\n织日期", None), ("转为正式\n党员日期", None), ("工作岗位", None),
    ("联系电话", "手机号"), (None, "固定电话"), ("家庭住址", None), ("党籍状态", None),
    ("是否为失\n联党员", None), ("失去联\n系日期", None), ("是否为流\n动党员", None),
    ("外出流向", None),
]
LABELS = [top or sub for top, sub in MEMBER_HEADER]
LABELS[12], LABELS[13] = "手机号", "固定电话"


def person(n: int, *, born: date = date(1975, 4, 9), male: bool = True) -> dict[str, Any]:
    """Return one valid row as a {header: cell value} dict, with plain canonical values."""
    return {
        "序号": n, "姓名": f"测试员{n}", "所在党支部": BRANCH_A,
        "公民身份证号": synthetic_id(born, n, region="430523", male=male),
        "性别": "男" if male else "女", "民族": "01", "出生日期": born.isoformat(), "学历": "21",
        "人员类别": "正式党员", "加入党组\n织日期": "2001-07-01",
        "转为正式\n党员日期": "2002-07-01",
        "工作岗位": "011", "手机号": f"1390000{n:04d}", "固定电话": None,
        "家庭住址": f"湖南省邵阳县塘渡口镇新建路{n}号", "党籍状态": "正常",
        "是否为失\n联党员": "否", "失去联\n系日期": None, "是否为流\n动党员": "否",
        "外出流向": None,
    }


def tricky(n: int) -> dict[str, Any]:
    """Return a valid row typed the messy way: full width, 年月日 text, names, stray spaces."""
    row = person(n, born=date(1968, 11, 3), male=False)
    id_number = row["公民身份证号"]
    row.update({
        "姓名": " 李 晓红 ",
        "公民身份证号": id_number.replace("X", "x") if id_number.endswith("X") else (
            "".join(chr(ord(c) + 0xFEE0) for c in id_number)),  # full-width digits
        "性别": "女", "民族": "汉族", "学历": "大学", "出生日期": "1968年11月3日",
        "加入党组\n织日期": datetime(1995, 6, 30), "转为正式\n党员日期": "1996.06.30",
        "工作岗位": "公务员", "手机号": f"１３９ ００００ {n:04d}",
        "固定电话": "0739-6821234", "所在党支部": f" {BRANCH_B} ",
        "是否为流\n动党员": "是", "外出流向": "浙江省杭州市西湖区",
    })
    return row


def write_member_roster(path: Path, rows: list[dict[str, Any]], *, party: str = COMMITTEE,
                        order: list[int] | None = None) -> Path:
    """Write 附件4 with openpyxl cell by cell: title, 基层党委, 汇总日期, two-row header, rows.

    order permutes the columns (after 序号) to show that columns are found by name.
    """
    cols = list(range(len(MEMBER_HEADER))) if order is None else order
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws["A1"] = "党员基本信息汇总表"
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(cols))
    ws["A2"] = "基层党委："
    ws["B2"] = party
    ws["A3"] = "汇总日期：2017 年 7 月 20 日"
    for out, i in enumerate(cols, start=1):
        top, sub = MEMBER_HEADER[i]
        if top is not None:
            ws.cell(4, out, top)
        if sub is not None:
            ws.cell(5, out, sub)
        if sub is None:
            ws.merge_cells(start_row=4, start_column=out, end_row=5, end_column=out)
    if order is None:
        ws.merge_cells("M4:N4")
    for r, row in enumerate(rows, start=6):
        for out, i in enumerate(cols, start=1):
            value = row.get(LABELS[i])
            if value is not None:
                ws.cell(r, out, value)
    ws.cell(6 + len(rows) + 1, 1,
            "注：此表可从系统中导出或从共产党员网（网址：www.12371.cn）下载，不可自行制作。")
    wb.save(path)
    return path


ORG_SUB = ["组织类别", "党组织所在\n单位情况", "党组织\n书记", "党组织\n联系人", "联系电话",
           "单位名称", "单位类别", "单位建立\n党组织情况", "党组织所在\n单位代码"]


def write_org_roster(path: Path, rows: list[list[Any]], extra_units: list[list[Any]] | None = None,
                     *, party: str = COMMITTEE, per_org_extra: str | None = None) -> Path:
    """Write 附件3 (rows: 党组织名称 then the nine fields) and optionally a 附页 sheet.

    extra_units are [党组织名称, 单位名称, 单位类别, 代码] lines; with per_org_extra the 附页 is the
    seed-002 kind (one org named in its "基层党组织:" line, no 党组织名称 column).
    """
    wb = Workbook()
    ws = wb.active
    ws.title = "附件3"
    ws["A1"] = "党组织和所在单位信息汇总表"
    ws["A2"] = f"基层党委：{party}"
    ws["A3"] = "汇总日期：2017 年 月 日"
    ws["A4"], ws["B4"], ws["C4"], ws["H4"] = "序号", "党组织名称", "党组织信息", "单位信息"
    ws.merge_cells("A4:A5")
    ws.merge_cells("B4:B5")
    ws.merge_cells("C4:G4")
    ws.merge_cells("H4:K4")
    for c, label in enumerate(ORG_SUB, start=3):
        ws.cell(5, c, label)
    for r, row in enumerate(rows, start=6):
        ws.cell(r, 1, r - 5)
        for c, value in enumerate(row, start=2):
            if value is not None:
                ws.cell(r, c, value)
    if extra_units is not None:
        extra = wb.create_sheet("附页")
        extra["A1"] = "党组织和所在单位基本信息采集表附页"
        if per_org_extra:
            extra["A2"], extra["C2"] = f"基层党组织:{per_org_extra}", "汇总日期: 2017年 月 日"
            head = ["序号", "单位名称", "单位类别", "党组织所在单位代码"]
        else:
            extra["A2"] = "基层党组织："
            head = ["序号", "党组织名称", "单位名称", "单位类别", "党组织所在单位代码"]
        for c, label in enumerate(head, start=1):
            extra.cell(3, c, label)
        for r, unit in enumerate(extra_units, start=4):
            values = unit[1:] if per_org_extra else unit
            for c, value in enumerate([r - 3, *values], start=1):
                extra.cell(r, c, value)
    wb.save(path)
    return path


def sheet_values(path: Path, sheet: int = 0) -> list[tuple[Any, ...]]:
    """Return every row of a workbook's sheet as values."""
    wb = load_workbook(path)
    return [tuple(r) for r in wb.worksheets[sheet].iter_rows(values_only=True)]
