"""公民身份号码 (GB 11643-1999): normalising, the MOD 11-2 check, 15→18 upgrade, masking.

Hand-written on purpose: python-stdnum's cn.ric rejects valid numbers of older members (it
checks the region code against the birth year) and crashes on unknown counties. Only the
province prefix is checked, never the county.
"""

from __future__ import annotations

import re
from datetime import date

from service.records.problems import WARNING, Problem
from service.records.text import strip_all_spaces

FIELD = "id_number"
# Weights for positions 1-17 as tabulated in GB 11643-1999 (2^(18-i) mod 11).
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"  # indexed by the weighted sum mod 11
# Province-level codes of GB/T 2260 (71 is Taiwan), plus 81/82/83: the address codes on the
# residence permits of Hong Kong, Macao and Taiwan residents, which share this number format.
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
EARLIEST_BIRTH = date(1890, 1, 1)
_ID18 = re.compile(r"[0-9]{17}[0-9X]")
_ID15 = re.compile(r"[0-9]{15}")


def normalize_id(raw: str) -> str:
    """Return raw half-width, without spaces, with a lower-case x made upper-case."""
    return strip_all_spaces(raw).upper()


def id_check_char(body17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits."""
    return _CHECK_CHARS[sum(int(c) * w for c, w in zip(body17, _WEIGHTS, strict=True)) % 11]


def upgrade_15(id15: str) -> str:
    """Return the 18-digit form of a 1989-style 15-digit number (century 19 assumed)."""
    body = id15[:6] + "19" + id15[6:]
    return body + id_check_char(body)


def mask_id(id18: str) -> str:
    """Return the number with all but its first 4 and last 4 characters starred."""
    if len(id18) <= 8:
        return "*" * len(id18)
    return id18[:4] + "*" * (len(id18) - 8) + id18[-4:]


def birth_from_id(id18: str) -> date | None:
    """Return the birth date coded in positions 7-14, or None if it is not a real date."""
    try:
        return date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
    except ValueError:
        return None


def sex_from_id(id18: str) -> str:
    """Return 男 or 女 from the parity of position 17 (odd is male)."""
    return "男" if int(id18[16]) % 2 else "女"


def check_id_number(raw: str, today: date) -> tuple[str | None, list[Problem]]:
    """Return the normalised 18-digit number (or None) and the problems found in raw."""
    s = normalize_id(raw)
    problems: list[Problem] = []
    if _ID15.fullmatch(s):
        s = upgrade_15(s)
        problems.append(Problem(
            FIELD, "ID_15_DIGIT_LEGACY",
            f"公民身份证号为15位旧号码，已按 GB 11643-1999 升为18位（{mask_id(s)}），"
            "请核对居民身份证后改填18位号码", WARNING))
    elif not _ID18.fullmatch(s):
        return None, [Problem(FIELD, "ID_FORMAT", _format_reason(s))]
    if s[:2] not in PROVINCES:
        problems.append(Problem(
            FIELD, "ID_PROVINCE",
            f"公民身份证号前两位 {s[:2]} 不是省级行政区划代码（应为11–15、21–23、31–37、41–46、"
            "50–54、61–65或71、81、82、83）"))
    born = birth_from_id(s)
    if born is None:
        problems.append(Problem(
            FIELD, "ID_BIRTH_INVALID", "公民身份证号第7–14位（出生日期码）不是真实存在的日期"))
    elif born > today:
        problems.append(Problem(
            FIELD, "ID_BIRTH_RANGE", "公民身份证号中的出生日期晚于今天，号码有误"))
    elif born < EARLIEST_BIRTH:
        problems.append(Problem(
            FIELD, "ID_BIRTH_RANGE", "公民身份证号中的出生日期早于1890年，号码有误"))
    expected = id_check_char(s[:17])
    if s[17] != expected:
        problems.append(Problem(
            FIELD, "ID_CHECKSUM",
            f"公民身份证号校验码错误：按 GB 11643 第18位应为 {expected}，实为 {s[17]}，"
            "请逐位核对号码"))
    return s, problems


def _format_reason(s: str) -> str:
    head = "公民身份证号格式错误：应为18位（前17位为数字，第18位为数字或X）"
    if not s:
        return head + "，实为空"
    if re.fullmatch(r"[0-9X]+", s) is None:
        return head + "，其中含有数字和X以外的字符"
    if "X" in s[:-1]:
        return head + "，X只能出现在第18位"
    return head + f"，实为{len(s)}位"
