"""Reading a summary table as people fill it: find the 基层党委 row and the (one- or two-row)
header by its names, then yield the data rows keyed by record key, skipping blanks and notes."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from openpyxl.utils import get_column_letter

from service.records.problems import ERROR, Severity
from service.records.xlsx_layout import SEQ, Layout, header_key, match_header
from service.records.xlsx_values import cell_text, is_blank

if TYPE_CHECKING:
    from service.records.xlsx_guard import SheetFacts

_HEADER_SCAN_ROWS = 15
_MIN_HEADER_MATCHES = 3
_NOTE_PREFIXES = ("注:", "注：", "说明:", "说明：", "填表说明")


class SheetFormatError(ValueError):
    """The sheet is not the expected table at all (no header, a required column missing)."""


@dataclass(frozen=True)
class CellProblem:
    """A problem at a cell (or a whole row when column is empty) of the input workbook."""

    sheet: str
    row: int
    column: str  # column letter, "" for the row as a whole
    header: str  # the header as written in the file
    message: str
    rule: str = ""
    severity: Severity = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def describe(self) -> str:
        """Return "第5行 D列（公民身份证号）：…" for reports and the CLI."""
        where = f"第{self.row}行"
        if self.column:
            where += f" {self.column}列" + (f"（{self.header}）" if self.header else "")
        level = "" if self.is_error else "[警告] "
        return f"{level}{where}：{self.message}"


@dataclass(frozen=True)
class Uncomputed:
    """A formula cell whose result the file does not hold: an error at the cell, never blank."""

    ref: str  # "D7"

    def __str__(self) -> str:
        return ""

    @property
    def message(self) -> str:
        return (f"单元格 {self.ref} 是公式，但文件中没有保存计算结果；请在 Excel 或 WPS 中打开并"
                "保存后重新导入，或把公式改为数值")


@dataclass
class SheetRow:
    """One data row: raw cell values and number formats by record key."""

    row: int
    values: dict[str, Any]
    formats: dict[str, str | None]


@dataclass
class SheetHeader:
    """What the top of a sheet said and where each column is."""

    sheet: str
    party: str | None = None  # the 基层党委 / 基层党组织 named above the table
    columns: dict[str, int] = field(default_factory=dict)  # record key -> 0-based column
    labels: dict[str, str] = field(default_factory=dict)  # record key -> header as written
    ignored: list[str] = field(default_factory=list)  # header cells matching no column
    header_rows: tuple[int, ...] = ()

    def letter(self, key: str) -> str:
        """Return the column letter of a record key ("" if the sheet lacks it)."""
        return get_column_letter(self.columns[key] + 1) if key in self.columns else ""

    def problem(self, row: int, key: str, message: str, rule: str = "",
                severity: Severity = ERROR) -> CellProblem:
        """Return a problem at (row, key's column)."""
        return CellProblem(self.sheet, row, self.letter(key), self.labels.get(key, ""),
                           message, rule, severity)


def _texts(cells: tuple[Any, ...]) -> list[str]:
    return [cell_text(getattr(c, "value", None)) for c in cells]


def _party(texts: list[str], label: str) -> str | None:
    for i, text in enumerate(texts):
        bare = header_key(text)
        if bare.startswith(header_key(label)) or bare.startswith(label.rstrip("：")):
            rest = text.split("：", 1)[-1] if "：" in text else text.split(":", 1)[-1]
            if rest == text:
                rest = ""
            rest = rest.split("汇总日期")[0].strip()
            if rest:
                return rest
            following = [t for t in texts[i + 1:] if t and "汇总日期" not in t]
            return following[0] if following else None
    return None


def read_table(
    rows: Iterable[tuple[Any, ...]], sheet: str, layout: Layout, index: dict[str, str],
    required: tuple[str, ...], facts: SheetFacts | None = None,
) -> tuple[SheetHeader, Iterator[SheetRow]]:
    """Find the header of a summary table in rows of cells; return it and the data rows.

    ``facts`` (from service.records.xlsx_guard) refuses merged cells in data rows and marks
    formula cells that hold no result."""
    it = iter(enumerate(rows, start=1))
    header = SheetHeader(sheet)
    top: list[str] | None = None
    top_row = 0
    buffered: list[tuple[int, tuple[Any, ...]]] = []
    groups = {header_key(c.group) for c in layout.columns if c.group}
    for n, cells in it:
        texts = _texts(cells)
        if top is None:
            if header.party is None:
                header.party = _party(texts, layout.party_label)
            hits = sum(match_header(t, index) is not None or header_key(t) in groups
                       for t in texts if t)
            if hits >= _MIN_HEADER_MATCHES:
                top, top_row = texts, n
            elif n >= _HEADER_SCAN_ROWS:
                break
            continue
        if any(t and match_header(t, index) is not None for t in texts):
            _map_columns(header, top, texts, index)
            header.header_rows = (top_row, n)
        else:
            _map_columns(header, top, None, index)
            header.header_rows = (top_row,)
            buffered.append((n, cells))
        break
    if top is None:
        raise SheetFormatError(f"工作表“{sheet}”中找不到《{layout.title}》的表头（前"
                               f"{_HEADER_SCAN_ROWS}行内应有“{layout.columns[1].header}”等列名）")
    if not header.header_rows:  # the header was the last row of the sheet
        _map_columns(header, top, None, index)
        header.header_rows = (top_row,)
    missing = [k for k in required if k not in header.columns]
    if missing:
        names = "、".join(f"“{c.header}”" for c in layout.columns if c.key in missing)
        raise SheetFormatError(f"工作表“{sheet}”缺少必需的列：{names}")
    return header, _data_rows(header, buffered, it, index, facts)


def _map_columns(header: SheetHeader, top: list[str], sub: list[str] | None,
                 index: dict[str, str]) -> None:
    width = max(len(top), len(sub or ()))
    for c in range(width):
        for text in ((sub[c] if sub and c < len(sub) else ""), (top[c] if c < len(top) else "")):
            key = match_header(text, index) if text else None
            if key is None:
                continue
            if key in header.columns:
                header.ignored.append(f"{get_column_letter(c + 1)}列“{text}”（与前面的列重复）")
            else:
                header.columns[key] = c
                header.labels[key] = header_key(text)
            break
        else:
            text = (sub[c] if sub and c < len(sub) else "") or (top[c] if c < len(top) else "")
            if text and not _is_group(text, top, sub, c):
                header.ignored.append(f"{get_column_letter(c + 1)}列“{text}”")


def _is_group(text: str, top: list[str], sub: list[str] | None, c: int) -> bool:
    # A merged group header (党组织信息, 单位信息) has its field names in the row below.
    return bool(sub) and c < len(top) and top[c] == text and c < len(sub or ()) and not sub[c]


def _data_rows(header: SheetHeader, buffered: list[tuple[int, tuple[Any, ...]]],
               it: Iterator[tuple[int, tuple[Any, ...]]], index: dict[str, str],
               facts: SheetFacts | None) -> Iterator[SheetRow]:
    columns = header.columns
    for n, cells in _chain(buffered, it):
        values: dict[str, Any] = {}
        formats: dict[str, str | None] = {}
        uncomputed = facts.uncomputed.get(n, ()) if facts is not None else ()
        for key, c in columns.items():
            letter = get_column_letter(c + 1) if uncomputed else ""
            if letter in uncomputed:
                values[key] = Uncomputed(f"{letter}{n}")
            elif c < len(cells):
                cell = cells[c]
                value = getattr(cell, "value", None)
                if value is not None:
                    values[key] = value
                    if isinstance(value, (int, float)):
                        formats[key] = getattr(cell, "number_format", None)
        filled = {k for k, v in values.items() if not is_blank(v)}
        if not filled - {SEQ}:
            continue  # blank, or a pre-numbered empty line of the official template
        first = next((cell_text(getattr(c, "value", None)) for c in cells
                      if not is_blank(getattr(c, "value", None))), "")
        if first.startswith(_NOTE_PREFIXES) and len(filled) <= 1:
            continue
        if sum(match_header(cell_text(v), index) == k for k, v in values.items()) >= 3:
            continue  # the header repeated (sheets pasted together)
        merged = facts.merge_at(n, header.header_rows[-1]) if facts is not None else None
        if merged:
            raise SheetFormatError(
                f"工作表“{header.sheet}”第{n}行有合并单元格（{merged}）：数据行中不能合并单元格"
                "（合并后只有第一格有内容，其余会被读成空），请取消合并、每格填写完整后重新导入")
        yield SheetRow(n, values, formats)


def _chain(first: list[tuple[int, tuple[Any, ...]]], rest: Iterator[tuple[int, tuple[Any, ...]]]
           ) -> Iterator[tuple[int, tuple[Any, ...]]]:
    yield from first
    yield from rest


def in_memory(source: str | Path | IO[bytes]) -> IO[bytes]:
    """Return a workbook file's bytes in memory (a stream is returned as it is).

    openpyxl's read-only mode keeps each sheet's part of the zip open while its rows are
    read; a refusal raised mid-sheet leaves that part referenced from the traceback, and an
    opened file would stay open until garbage collection. Uploads are capped in size
    (ADMIN_IMPORT_MAX_BYTES), so holding one in memory costs little.
    """
    if isinstance(source, (str, Path)):
        return io.BytesIO(Path(source).read_bytes())
    return source
