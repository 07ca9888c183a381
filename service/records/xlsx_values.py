"""Cell values as people type them: dates in every usual form, codes or names, 是/否, and
neutralising text on export so a spreadsheet never runs it as a formula."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from service.records.codes import CodeTable
from service.records.text import strip_all_spaces


class CellError(ValueError):
    """A cell that cannot be read; the message is Chinese and says what to write instead."""


_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 once the 1900 leap-year bug is skipped
_MAX_SERIAL = 2958465  # 9999-12-31
_DATE_FORMS = "如 2014-05-02、2014.05.02、2014/5/2、2014年5月2日 或 20140502"
_YMD = re.compile(r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?")
_YMD_DIGITS = re.compile(r"(\d{4})(\d{2})(\d{2})")
_YM = re.compile(r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*月?")
_YM_DIGITS = re.compile(r"(\d{4})(\d{2})")
# A value Excel or LibreOffice would read as a formula or a DDE command (OWASP CSV injection):
# = + - @, and tab / carriage return, which some importers strip before looking.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"
# Free text keeps its Chinese punctuation (（） in org names are right); only full-width digits and
# Latin letters, the ideographic space and invisible characters are undone.
_ALNUM = {c: c - 0xFEE0 for r in ((0xFF10, 0xFF1A), (0xFF21, 0xFF3B), (0xFF41, 0xFF5B))
          for c in range(*r)}
_CLEAN = {**_ALNUM, 0x3000: 0x20, **dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))}
_SPACES = re.compile(r"\s+")


def clean_text(s: str) -> str:
    """Return s stripped, inner whitespace collapsed, full-width digits and letters half-width."""
    return _SPACES.sub(" ", s.translate(_CLEAN)).strip()


def is_blank(value: Any) -> bool:
    """Tell whether a cell is empty (None, or only spaces)."""
    return value is None or (isinstance(value, str) and not strip_all_spaces(value))


def cell_text(value: Any) -> str:
    """Return a cell as clean text: half-width, stripped, integral floats without ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return unquote(clean_text(str(value)))


def unquote(text: str) -> str:
    """Undo :func:`neutralize`: drop the apostrophe put before a formula-like value."""
    if text.startswith(_QUOTE) and text[1:2] and text[1] in "=+-@":
        return text[1:]
    return text


def neutralize(text: str) -> str:
    """Return text safe for a spreadsheet cell: formula-like values get a leading apostrophe."""
    return _QUOTE + text if text.startswith(_FORMULA_START) else text


def _make_date(y: int, m: int, d: int, raw: str) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise CellError(f"“{raw}”不是真实存在的日期") from None


def parse_date(value: Any) -> date | None:
    """Return the date in a cell: a date cell, an Excel serial, or text in the usual forms."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _date_from_number(value)
    raw = cell_text(value)
    s = strip_all_spaces(raw)
    m = _YMD.fullmatch(s) or _YMD_DIGITS.fullmatch(s)
    if m is None:
        raise CellError(f"日期“{raw}”无法识别，应写成年月日，{_DATE_FORMS}")
    return _make_date(int(m[1]), int(m[2]), int(m[3]), raw)


def _date_from_number(value: float) -> date:
    if isinstance(value, float) and not value.is_integer():
        value = int(value)  # a serial with a time of day: the day is what counts
    n = int(value)
    if 19000101 <= n <= 99991231:  # 20140502 typed as a number
        return _make_date(n // 10000, n // 100 % 100, n % 100, str(n))
    if 1 <= n <= _MAX_SERIAL:
        return _EXCEL_EPOCH + timedelta(days=n)
    raise CellError(f"日期“{n}”无法识别，{_DATE_FORMS}")


def parse_year_month(value: Any) -> str | None:
    """Return 失去联系日期 as "YYYY-MM" from a date cell, a serial, or text (年月 or full date)."""
    if is_blank(value):
        return None
    if isinstance(value, float) and not value.is_integer() and 1900 < value < 10000:
        return _year_month_from_decimal(value)
    if isinstance(value, (datetime, date, int, float)) and not isinstance(value, bool):
        if isinstance(value, (int, float)) and 190001 <= int(value) <= 999912:
            return _year_month(int(value) // 100, int(value) % 100, str(int(value)))
        d = parse_date(value)
        return None if d is None else f"{d.year:04d}-{d.month:02d}"
    raw = cell_text(value)
    s = strip_all_spaces(raw)
    m = _YM.fullmatch(s) or _YM_DIGITS.fullmatch(s)
    if m is not None:
        return _year_month(int(m[1]), int(m[2]), raw)
    try:
        d = parse_date(raw)
    except CellError:
        raise CellError(f"失去联系日期“{raw}”无法识别，应写成年月，如 2016-03、2016.3 或"
                        "2016年3月") from None
    return None if d is None else f"{d.year:04d}-{d.month:02d}"


def _year_month(y: int, m: int, raw: str) -> str:
    if not 1 <= m <= 12:
        raise CellError(f"“{raw}”中的月份无效")
    return f"{y:04d}-{m:02d}"


def _year_month_from_decimal(value: float) -> str:
    # Excel stores a typed "2016.03" as the number 2016.03, and "2016.10" as 2016.1.
    year, frac = repr(value).split(".")
    if frac == "1":
        raise CellError(f"“{value}”存成了数字，无法分辨是1月还是10月，请写成 {year}-01 或 "
                        f"{year}-10")
    return _year_month(int(year), int(frac), repr(value))


_YES = frozenset({"是", "Y", "YES", "TRUE", "1", "√", "✓", "✔", "有"})
_NO = frozenset({"否", "N", "NO", "FALSE", "0", "×", "✗", "无", "不是"})


def parse_yes_no(value: Any) -> bool | None:
    """Return True for 是, False for 否 (and their usual spellings), None when blank."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    s = strip_all_spaces(cell_text(value)).upper()
    if s in _YES:
        return True
    if s in _NO:
        return False
    raise CellError(f"“{cell_text(value)}”应填“是”或“否”")


def parse_choice(value: Any, allowed: tuple[str, ...], aliases: dict[str, str]) -> str | None:
    """Return one of allowed from a cell holding it or an alias; None when blank."""
    if is_blank(value):
        return None
    s = strip_all_spaces(cell_text(value))
    found = s if s in allowed else aliases.get(s)
    if found is None:
        raise CellError(f"“{cell_text(value)}”无效，应为{'或'.join(allowed)}")
    return found


def parse_code(value: Any, table: CodeTable, number_format: str | None = None) -> str | None:
    """Return the code meant by a cell holding a code, a name, or "code name"; None when blank.

    A code that Excel stored as a number lost its leading zeros; a cell format such as "000"
    tells how many there were.
    """
    if is_blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = cell_text(value)
        width = _zero_pad_width(number_format)
        if width > len(text):
            text = text.zfill(width)
    else:
        text = cell_text(value)
    code = table.normalize(text)
    if code is None:
        raise CellError(f"“{text}”不是《{table.name}代码》中的代码或名称")
    return code


def _zero_pad_width(number_format: str | None) -> int:
    fmt = (number_format or "").strip('"\\')
    return len(fmt) if fmt and set(fmt) == {"0"} else 0


def lost_leading_zero(value: Any, code: str, table: CodeTable) -> bool:
    """Tell whether a numeric cell's code might have lost a leading 0 (both forms are codes)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and not code.startswith("0") and ("0" + code) in table)
