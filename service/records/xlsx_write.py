"""Streaming writer of a summary table in its official layout: title, 基层党委 and 汇总日期 rows,
the merged header, then 序号 and the data rows as they come (write-only, flat memory)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from service.clock import today_local
from service.records.xlsx_layout import Layout
from service.records.xlsx_values import neutralize

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_BOLD = Font(bold=True)
PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class Stamp:
    """What a workbook carries besides its table: a line printed at the foot of every page,
    and document properties for programs (e.g. the evidence ledger anchor at export time).

    Neither touches the cells, so the official layout and reading the file back stay as they are.
    """

    footer: str = ""
    properties: dict[str, str] = field(default_factory=dict)


def stamp(wb: Workbook, mark: Stamp | None) -> None:
    """Put ``mark`` on every sheet's printed footer and into the file's custom properties."""
    if mark is None:
        return
    for ws in wb.worksheets:
        ws.oddFooter.right.text = mark.footer
        ws.oddFooter.right.size = 8
    for name, value in mark.properties.items():
        wb.custom_doc_props.append(StringProperty(name=name, value=value))


def summary_date(on: date) -> str:
    """Return the 汇总日期 line as the form prints it: "汇总日期：2017 年 6 月 14 日"."""
    return f"汇总日期：{on.year} 年 {on.month} 月 {on.day} 日"


def _styled(ws: WriteOnlyWorksheet, value: Any, *, font: Font = _BOLD, border: bool = True,
            align: Alignment = _CENTER) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.font, cell.alignment = font, align
    if border:
        cell.border = _BORDER
    return cell


def start_sheet(ws: WriteOnlyWorksheet, layout: Layout, party: str, on: date) -> None:
    """Write everything above the data rows: widths, title, 基层党委/汇总日期 and the header."""
    n = layout.width
    last = get_column_letter(n)
    for i, col in enumerate(layout.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.append([_styled(ws, layout.title, font=Font(bold=True, size=16), border=False)])
    ws.merged_cells.add(f"A1:{last}1")
    left = Alignment(horizontal="left", vertical="center")
    plain = Font()
    if layout.two_row_header:
        ws.append([_styled(ws, f"{layout.party_label}{party}", font=plain, border=False,
                           align=left)])
        ws.append([_styled(ws, summary_date(on), font=plain, border=False, align=left)])
        ws.merged_cells.add(f"A2:{last}2")
        ws.merged_cells.add(f"A3:{last}3")
        _two_row_header(ws, layout)
    else:  # the 附页: both on one line, as in the operations manual
        half = max(2, n // 2)
        ws.append([_styled(ws, f"{layout.party_label}{party}", font=plain, border=False,
                           align=left)] + [None] * (half - 1)
                  + [_styled(ws, summary_date(on), font=plain, border=False, align=left)])
        ws.merged_cells.add(f"A2:{get_column_letter(half)}2")
        ws.append([_styled(ws, c.header) for c in layout.columns])
    # The 附页 has its party and date on one line, so its header is row 3, not rows 4-5.
    first, last = (4, 5) if layout.two_row_header else (3, 3)
    ws.print_title_rows = f"{first}:{last}"
    ws.freeze_panes = f"C{last + 1}"
    ws.page_setup.orientation = "landscape"


def _two_row_header(ws: WriteOnlyWorksheet, layout: Layout) -> None:
    top: list[WriteOnlyCell] = []
    sub: list[WriteOnlyCell] = []
    cols = layout.columns
    i = 0
    while i < len(cols):
        col = cols[i]
        letter = get_column_letter(i + 1)
        if not col.group:
            top.append(_styled(ws, col.header))
            sub.append(_styled(ws, None))
            ws.merged_cells.add(f"{letter}4:{letter}5")
            i += 1
            continue
        j = i
        while j < len(cols) and cols[j].group == col.group:
            top.append(_styled(ws, col.group if j == i else None))
            sub.append(_styled(ws, cols[j].header))
            j += 1
        ws.merged_cells.add(f"{letter}4:{get_column_letter(j)}4")
        i = j
    ws.append(top)
    ws.append(sub)


def write_rows(ws: WriteOnlyWorksheet, rows: Iterable[list[Any]],
               progress: Callable[[int], None] | None = None) -> int:
    """Append data rows with their 序号, neutralising formula-like text; return the count."""
    n = 0
    append = ws.append
    for n, values in enumerate(rows, start=1):
        append([n, *[neutralize(v) if isinstance(v, str) else v for v in values]])
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
    if progress is not None and n % PROGRESS_EVERY:
        progress(n % PROGRESS_EVERY)
    return n


def write_table(
    target: str | Path | IO[bytes], layout: Layout, rows: Iterable[list[Any]], *,
    party: str = "", on: date | None = None, progress: Callable[[int], None] | None = None,
    title: str | None = None, mark: Stamp | None = None,
) -> int:
    """Write a one-sheet workbook in layout from rows (without 序号); return the row count."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title or layout.title)
    start_sheet(ws, layout, party, on or today_local())
    count = write_rows(ws, rows, progress)
    stamp(wb, mark)
    save(wb, target)
    return count


def save(wb: Workbook, target: str | Path | IO[bytes]) -> None:
    """Save a write-only workbook; if saving fails, close its sheets' row writers anyway.

    A write-only sheet holds an open generator until saved; left to the garbage collector it
    raises "I/O operation on closed file" far from the real error.
    """
    try:
        wb.save(target)
    except BaseException:
        for ws in wb.worksheets:
            ws.close()
        raise
