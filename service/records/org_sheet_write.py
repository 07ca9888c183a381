"""Writing 附件3: the summary sheet in the official layout (plus this system's 上级党组织 column
after the official ones), one 附页 per org with several units as the system manual prints it,
and a 说明 sheet saying what is not official."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from service.clock import today_local
from service.records.org_sheet import NOTES_SHEET
from service.records.xlsx_layout import (
    OFFICIAL_ORG_COLUMNS,
    ORG_LAYOUT,
    PARENT_HEADER,
    UNIT_LAYOUT,
    UNIT_SHEET_TITLE,
)
from service.records.xlsx_values import neutralize
from service.records.xlsx_write import Stamp, save, stamp, start_sheet, summary_date, write_rows

FIRST_DATA_ROW = 6  # title, 基层党委, 汇总日期 and the two header rows come first
ANNEX_SHEET = "附页{n}"
PARENT_NOTE = (
    "本系统附加列，不属于附件3官方格式：位于官方各列（A至K列）之后，不在打印区域内。填写该党组织的"
    "上级党组织全称，重新导入本系统时据此恢复党组织的上下级关系（党委 → 党总支 → 党支部）。"
    "留空的党组织：若即为表头“基层党委：”所列的党委，或表头未列基层党委，则作为最上级党组织；"
    "否则建在表头所列基层党委之下。删去此列后导入的，新党组织一律建在表头所列基层党委之下，"
    "并在写入前逐一列出。")
ANNEX_NOTE = (
    f"“附页1”“附页2”……各为一个有多个所在单位的党组织（如联合党支部）的《{UNIT_SHEET_TITLE}》，"
    "按系统操作手册的格式只列第2个及以后的所在单位（第1个单位在汇总表中）；重新导入时，附页中各单位的"
    "单位建立党组织情况记为“2 建立联合党支部的”。")
NO_ANNEX_NOTE = "本次导出的党组织都只有一个所在单位，没有附页。"


def org_cells(org: dict[str, Any], units: list[dict[str, Any]]) -> list[Any]:
    """Return one 附件3 data row (without 序号): the org, its first unit and its parent."""
    first = units[0] if units else {}
    return [org.get("name"), org.get("org_type"), org.get("unit_situation"),
            org.get("secretary"), org.get("contact"), org.get("contact_phone"),
            first.get("name"), first.get("unit_type"), first.get("party_org_status"),
            first.get("unit_code"), org.get("parent")]


def write_orgs(
    target: str | Path | IO[bytes], orgs: Iterable[tuple[dict[str, Any], list[dict[str, Any]]]],
    *, party: str = "", on: date | None = None, mark: Stamp | None = None,
) -> int:
    """Write 附件3 with an 附页 for each org of several units; return the org count.

    ``orgs`` yields (org, units) in tree order; ``org["parent"]`` is the parent's full name
    when the parent is in the export too, else None.
    """
    on = on or today_local()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(ORG_LAYOUT.title)
    start_sheet(ws, ORG_LAYOUT, party, on)
    several: list[tuple[str, list[dict[str, Any]]]] = []

    def rows() -> Iterable[list[Any]]:
        for org, units in orgs:
            if len(units) > 1:
                several.append((org.get("name") or "", units[1:]))
            yield org_cells(org, units)

    count = write_rows(ws, rows())
    last = get_column_letter(OFFICIAL_ORG_COLUMNS)
    ws.print_area = f"A1:{last}{FIRST_DATA_ROW - 1 + count}"  # the official form only
    for n, (name, rest) in enumerate(several, start=1):
        annex = wb.create_sheet(ANNEX_SHEET.format(n=n))
        start_sheet(annex, UNIT_LAYOUT, name, on)
        write_rows(annex, ([u.get("name"), u.get("unit_type"), u.get("unit_code")]
                           for u in rest))
    _notes(wb.create_sheet(NOTES_SHEET), party, on, bool(several))
    stamp(wb, mark)
    save(wb, target)
    return count


def _notes(ws: WriteOnlyWorksheet, party: str, on: date, annexes: bool) -> None:
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 90
    wrap = Alignment(wrap_text=True, vertical="top")
    ws.append(["说明"])
    lines = (
        ("本工作簿", f"《{ORG_LAYOUT.title}》（附件3）及其附页，由本系统导出。"),
        ("基层党委", neutralize(party) if party
         else "导出范围含多个基层党委（或不属于任何基层党委），见各党组织的“上级党组织”"),
        ("汇总日期", summary_date(on).split("：", 1)[1] + "（导出当天，北京时间）"),
        (f"{PARENT_HEADER}（{get_column_letter(OFFICIAL_ORG_COLUMNS + 1)}列）", PARENT_NOTE),
        ("附页", ANNEX_NOTE if annexes else NO_ANNEX_NOTE),
    )
    for label, text in lines:
        cells = []
        for value, bold in ((label, True), (text, False)):
            cell = _cell(ws, value, bold)
            cell.alignment = wrap
            cells.append(cell)
        ws.append(cells)


def _cell(ws: WriteOnlyWorksheet, value: str, bold: bool) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.font = Font(bold=bold)
    return cell
