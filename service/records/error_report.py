"""The --errors-out report: a copy of the input workbook with each bad cell filled and commented,
and a 错误原因 column saying, row by row, what to fix."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from service.records.xlsx_read import CellProblem

ERROR_FILL = PatternFill("solid", start_color="FFFF9999", end_color="FFFF9999")
WARNING_FILL = PatternFill("solid", start_color="FFFFEB9C", end_color="FFFFEB9C")
REASON_HEADER = "错误原因"
_AUTHOR = "导入检查"


def write_error_report(source: str | Path | IO[bytes], target: str | Path | IO[bytes],
                       problems: Iterable[CellProblem], header_rows: dict[str, int]) -> int:
    """Copy source to target with problems marked; return how many rows carry a reason.

    header_rows gives, per sheet title, the row of the (top) header where 错误原因 goes.
    """
    wb = load_workbook(source)
    by_row: dict[tuple[str, int], list[CellProblem]] = defaultdict(list)
    for p in problems:
        by_row[(p.sheet, p.row)].append(p)
    reason_col: dict[str, int] = {}
    for (sheet, row), found in sorted(by_row.items()):
        if sheet not in wb.sheetnames:
            continue
        ws = wb[sheet]
        if sheet not in reason_col:
            reason_col[sheet] = col = ws.max_column + 1
            head = ws.cell(header_rows.get(sheet, 1), col, REASON_HEADER)
            head.font = Font(bold=True, color="FFC00000")
            ws.column_dimensions[get_column_letter(col)].width = 60
        by_cell: dict[str, list[CellProblem]] = defaultdict(list)
        for p in found:
            if p.column:
                by_cell[p.column].append(p)
        for letter, at in by_cell.items():
            cell = ws[f"{letter}{row}"]
            cell.fill = ERROR_FILL if any(p.is_error for p in at) else WARNING_FILL
            text = "\n".join(("" if p.is_error else "[警告] ") + p.message for p in at)
            cell.comment = Comment(text, _AUTHOR, width=300, height=40 + 20 * len(at))
        reason = ws.cell(row, reason_col[sheet], "；".join(_short(p) for p in found))
        reason.alignment = Alignment(wrap_text=True, vertical="top")
        reason.font = Font(color="FFC00000")
    wb.save(target)
    return len(by_row)


def _short(p: CellProblem) -> str:
    where = f"{p.column}列（{p.header}）" if p.column and p.header else (
        f"{p.column}列" if p.column else "")
    level = "" if p.is_error else "[警告] "
    return f"{level}{where}{'：' if where else ''}{p.message}"
