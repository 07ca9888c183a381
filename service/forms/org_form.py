"""附件1 党组织和所在单位基本信息采集表, and its 附页 listing a joint branch's other units."""

from __future__ import annotations

from datetime import date
from typing import Any

from service.forms.layout import BODY, BOX_W, LEFT, MARGIN, RIGHT, SMALL, TOP, Pen
from service.records.codes import ORG_TYPES, UNIT_PARTY_ORG, UNIT_TYPES
from service.records.fields import SAME_AS_PARENT, UNIT_SITUATIONS

PITCH = 27.0
NOTE_6 = ("（备注：“与上级党组织相同”指本党组织所在的法人单位与上级党组织所在的法人单位相同，"
          "如勾选此项，则以下所在单位信息不用填写；“联合支部”指本党组织为多个单位共建的联合党支部，"
          "如勾选此项，则以下应填写多个所在单位信息，不够可另附页。）")
FOOTNOTE = ("注：软件系统中信息齐全的，此表可直接从软件系统中导出打印，再交由党支部（党总支、党委）"
            "初核，基层党委复核。")
ANNEX_TITLE = "党组织和所在单位基本信息采集表附页"
# 附页 columns (as in the operations manual): header, width in points.
ANNEX_COLUMNS = (("序号", 36.0), ("单位名称", 218.0), ("单位类别", 104.0),
                 ("党组织所在单位代码", 123.9))
ROW_H = 26.0


def draw_org_pages(
    pen: Pen, org: dict[str, Any], units: list[dict[str, Any]], printed_on: date | None
) -> int:
    """Draw the form (and the 附页 for units after the first), ending each page; return pages."""
    if org.get("unit_situation") == SAME_AS_PARENT:
        units = []  # the form says to leave the unit items empty in that case
    _main_page(pen, org, units[0] if units else None, extra=len(units) - 1)
    pen.c.showPage()
    rest = units[1:]
    pages = 1
    per_page = int((TOP - 110 - MARGIN) // ROW_H)
    for start in range(0, len(rest), per_page):
        _annex_page(pen, org, rest[start:start + per_page], start, printed_on)
        pen.c.showPage()
        pages += 1
    return pages


def _main_page(pen: Pen, org: dict[str, Any], unit: dict[str, Any] | None, extra: int) -> None:
    pen.text(LEFT, TOP - BODY, "附件1", 14)
    pen.centered(TOP - 50, "党组织和所在单位基本信息采集表", 20, bold=True)
    y = TOP - 88
    pen.text(LEFT, y, "党组织信息", 13, bold=True)
    y -= PITCH
    x = pen.text(LEFT, y, "1.党组织名称（填写全称）：")
    pen.blank(x, y, RIGHT - x, org.get("name"))
    y -= PITCH
    pen.blank(pen.text(LEFT, y, "2.党组织书记："), y, 120, org.get("secretary"))
    y -= PITCH
    x = pen.blank(pen.text(LEFT, y, "3.党组织联系人："), y, 120, org.get("contact"))
    x = pen.text(x + 24, y, "4.联系电话：")
    pen.blank(x, y, 150, org.get("contact_phone"))
    y -= PITCH
    _code_line(pen, LEFT, y, "5.组织类别（参照《组织类别代码》填写相应代码）：", 3,
               org.get("org_type"), ORG_TYPES.name_of)
    y -= PITCH
    x = pen.text(LEFT, y, "6.党组织所在单位情况（勾选一项）：") + 40
    for situation in UNIT_SITUATIONS:
        pen.choice(x, y, situation, org.get("unit_situation") == situation)
        y -= PITCH * 0.85
    y = pen.paragraph(LEFT, y - 2, NOTE_6, RIGHT - LEFT, 10.5, 15) - 12
    pen.text(LEFT, y, "所在单位信息", 13, bold=True)
    y -= PITCH
    _unit_items(pen, y, unit or {}, extra)


def _unit_items(pen: Pen, y: float, unit: dict[str, Any], extra: int) -> None:
    x = pen.text(LEFT, y, "7.单位名称（填写全称）：")
    pen.blank(x, y, RIGHT - x, unit.get("name"))
    y -= PITCH
    _code_line(pen, LEFT, y, "8.单位类别（参照《单位性质类别代码》填写相应代码）：", 2,
               unit.get("unit_type"), UNIT_TYPES.name_of)
    y -= PITCH
    y = _code_line(pen, LEFT, y,
                   "9.单位建立党组织情况（参照《单位建立中共组织情况代码》填写相应代码）：",
                   2, unit.get("party_org_status"), UNIT_PARTY_ORG.name_of)
    y -= PITCH
    y = _code_line(pen, LEFT, y,
                   "10.党组织所在单位代码（一般为该单位组织机构代码或统一社会信用代码）：",
                   18, unit.get("unit_code"), None)
    if extra > 0:
        pen.text(LEFT, y - 20, f"（本党组织另有 {extra} 个所在单位，见《{ANNEX_TITLE}》）", 10.5)
    _signatures(pen, y - 44)


def _code_line(
    pen: Pen, x: float, y: float, label: str, n: int, code: str | None, name_of: Any
) -> float:
    """Print label and its code boxes, the boxes on the next line if they do not fit; return y."""
    name = name_of(code) if code and name_of else None
    end = pen.text(x, y, label)
    if end + n * BOX_W > RIGHT or not pen.hint_fits(end + n * BOX_W, name):
        y -= PITCH * 0.9
        end = LEFT + 2 * BODY
    pen.name_hint(pen.boxes(end, y, n, code), y, name)
    return y


def _signatures(pen: Pen, rule_y: float) -> None:
    pen.rule(rule_y)
    mid = LEFT + (RIGHT - LEFT) / 2 + 6
    y = rule_y - 24
    pen.text(LEFT, y, "信息采集员（签字）：")
    pen.text(mid, y, "党组织书记（签字）：")
    y -= 40
    pen.text(LEFT + 72, y, "年      月      日")
    pen.text(mid + 72, y, "年      月      日")
    y -= 36
    pen.text(LEFT, y, "基层党委（盖章）：")
    y -= 40
    pen.text(LEFT + 72, y, "年      月      日")
    pen.paragraph(LEFT, y - 30, FOOTNOTE, RIGHT - LEFT, SMALL, SMALL + 4)


def _annex_page(
    pen: Pen, org: dict[str, Any], units: list[dict[str, Any]], offset: int, printed_on: date | None
) -> None:
    pen.centered(TOP - 30, ANNEX_TITLE, 18, bold=True)
    y = TOP - 68
    date_x = RIGHT - 176
    x = pen.text(LEFT, y, "基层党组织：")
    pen.blank(x, y, date_x - 10 - x, org.get("name"))
    x = pen.text(date_x, y, "汇总日期：")
    pen.date_blanks(x, y, printed_on, widths=(36, 20, 20))
    top = y - 16
    _row(pen, top, [h for h, _ in ANNEX_COLUMNS], header=True)
    for i, unit in enumerate(units, start=offset + 1):
        top -= ROW_H
        code = unit.get("unit_type")
        kind = f"{code} {UNIT_TYPES.name_of(code) or ''}".strip() if code else ""
        _row(pen, top, [str(i), unit.get("name") or "", kind, unit.get("unit_code") or ""])


def _row(pen: Pen, top: float, cells: list[str], header: bool = False) -> None:
    x = LEFT
    for (_, width), value in zip(ANNEX_COLUMNS, cells, strict=True):
        pen.c.setLineWidth(0.7)
        pen.c.rect(x, top - ROW_H, width, ROW_H)
        if header:
            pen.text(x + (width - pen.width(value, 11)) / 2, top - ROW_H + 9, value, 11, bold=True)
        elif value:
            pen.fit(x + 3, top - ROW_H + 9, width - 6, value, 11)
        x += width
    pen.c.setLineWidth(1)
