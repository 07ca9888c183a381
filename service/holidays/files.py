"""Reading a holiday file (text or .xlsx) into days, all or nothing, with Chinese errors by line.

Text (UTF-8), one day a line: date, 放假 or 上班, name, separated by spaces (or commas)::

    # 2027 年部分节假日安排
    2027-02-10 放假 春节
    2027-02-07 上班 春节调休

Blank lines and ``#`` comments are skipped; dates may also be written 2027/2/10, 2027.02.10,
2027年2月10日 or 20270210. An .xlsx file has the days on its first sheet under a header row
with the columns 日期, 类型 and 名称 (in any order; other columns are ignored).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from service.errors import ServiceError
from service.models.calendar_day import OFF, WORK
from service.records.xlsx_values import CellError, cell_text, clean_text, is_blank, parse_date

FORMAT_HELP = (
    "文本文件（UTF-8）每行一天：日期 放假/上班 名称，如“2027-02-10 放假 春节”“2027-02-07 上班 "
    "春节调休”，# 开头为注释，空行忽略；Excel 文件（.xlsx）第一张工作表的表头为 日期、类型、名称。"
)
KINDS = {"放假": OFF, "休": OFF, "休息": OFF, "假": OFF, "上班": WORK, "班": WORK, "补班": WORK}
COLUMNS = ("日期", "类型", "名称")
NAME_MAX = 64
YEARS = range(2000, 2100)
MAX_SHOWN = 50
_FIELDS = re.compile(r"[\s,，、]+")


@dataclass(frozen=True)
class DayLine:
    """One day read from a file, with the line (or sheet row) it came from."""

    line: int
    day: date
    kind: str  # OFF or WORK
    name: str


class _BadLine(Exception):
    """A line that cannot be read; the message names the line, the field and the reason."""


class HolidayFileError(ServiceError):
    """A holiday file that cannot be imported; ``problems`` names each bad line."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:MAX_SHOWN]
        more = f"\n……另有 {len(problems) - len(shown)} 处错误" if len(problems) > len(shown) else ""
        super().__init__("节假日文件有错误，未导入任何日期：\n" + "\n".join(shown) + more)
        self.problems = problems


def read_days(filename: str, data: bytes) -> list[DayLine]:
    """Return every day of the file, or raise HolidayFileError naming each bad line."""
    lower = filename.lower()
    if lower.endswith(".xls"):
        raise HolidayFileError(["不支持 .xls 格式：请用 Excel 或 WPS 另存为 .xlsx，"
                                "或改用文本文件"])
    if lower.endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        return _checked(_xlsx_rows(data))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HolidayFileError(["文件不是 UTF-8 编码的文本：请另存为 UTF-8，或改用 .xlsx"]
                               ) from None
    return _checked(_text_rows(text))


def _text_rows(text: str) -> Iterator[tuple[int, list[Any]]]:
    for number, raw in enumerate(text.splitlines(), start=1):
        line = clean_text(raw.split("#", 1)[0])
        if line:
            yield number, _FIELDS.split(line, maxsplit=2)


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (OSError, KeyError, ValueError, InvalidFileException, zipfile.BadZipFile):
        raise HolidayFileError(["无法读取该 Excel 文件：应为未加密的 .xlsx 工作簿"]) from None
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        columns: dict[str, int] | None = None
        for number, cells in enumerate(rows, start=1):
            if all(is_blank(c) for c in cells):
                continue
            if columns is None:
                columns = _header(list(cells))
                continue
            yield number, [cells[columns[c]] if columns[c] < len(cells) else None
                           for c in COLUMNS]
    finally:
        wb.close()


def _header(cells: list[Any]) -> dict[str, int]:
    found = {cell_text(c): i for i, c in reversed(list(enumerate(cells)))}
    missing = [c for c in COLUMNS if c not in found]
    if missing:
        raise HolidayFileError([f"第一张工作表的表头应有 日期、类型、名称 三列"
                                f"（缺少：{'、'.join(missing)}）"])
    return {c: found[c] for c in COLUMNS}


def _checked(rows: Iterator[tuple[int, list[Any]]]) -> list[DayLine]:
    days: list[DayLine] = []
    problems: list[str] = []
    seen: dict[date, int] = {}
    for number, fields in rows:
        try:
            day = _parse(number, fields)
        except _BadLine as exc:
            problems.append(str(exc))
            continue
        if day.day in seen:
            problems.append(f"第 {number} 行 日期：{day.day} 与第 {seen[day.day]} 行重复")
            continue
        seen[day.day] = number
        days.append(day)
    if not days and not problems:
        problems.append("文件中没有任何日期。" + FORMAT_HELP)
    if problems:
        raise HolidayFileError(problems)
    return days


def _parse(number: int, fields: list[Any]) -> DayLine:
    raw_day, raw_kind, raw_name = (list(fields) + [None, None, None])[:3]
    where = f"第 {number} 行"
    try:
        day = parse_date(raw_day)
    except CellError as exc:
        raise _BadLine(f"{where} 日期：{exc}") from None
    if day is None:
        raise _BadLine(f"{where} 日期：缺少日期，应如 2027-02-10")
    if day.year not in YEARS:
        raise _BadLine(f"{where} 日期：{day} 的年份应在 {YEARS[0]}–{YEARS[-1]} 之间")
    kind_text = cell_text(raw_kind)
    if not kind_text:
        raise _BadLine(f"{where} 类型：缺少类型，应为 放假 或 上班")
    if kind_text not in KINDS:
        raise _BadLine(f"{where} 类型：“{kind_text}”无法识别，应为 放假 或 上班")
    name = cell_text(raw_name)
    if not name:
        raise _BadLine(f"{where} 名称：缺少名称，如 春节、国庆节调休")
    if len(name) > NAME_MAX:
        raise _BadLine(f"{where} 名称：不能超过 {NAME_MAX} 个字")
    return DayLine(number, day, KINDS[kind_text], name)
