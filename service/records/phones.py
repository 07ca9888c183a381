"""联系电话: mobile and landline formats (hard rules), a libphonenumber soft check, masking.

The hard rules are regular expressions (mainland mobiles 1[3-9] and 11 digits, landlines by area
code). The soft check asks `phonenumbers` whether the number is in a known block; its CN
metadata lags new number blocks, so it only ever yields a warning, and none if the package
cannot be imported.
"""

from __future__ import annotations

import re

from service.records.problems import WARNING, Problem
from service.records.text import strip_all_spaces

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_INTERNATIONAL = re.compile(r"(?:\+|00)86-?")
# 010 and 020-029 are three-digit area codes with 8-digit numbers; all others have four digits,
# so the area code's length follows from its first digits and the separator may be left out.
_LANDLINE = re.compile(
    r"(0(?:10|2[0-9]|[3-9][0-9]{2}))-?([1-9][0-9]{6,7})(?:-([0-9]{1,6}))?")
_EXTENSION_WORDS = re.compile(r"转|分机|EXT\.?")


def _compact(raw: str) -> str:
    return strip_all_spaces(raw).upper().replace("(", "").replace(")", "-")


def _digits(raw: str) -> str:
    return re.sub(r"[^0-9]", "", strip_all_spaces(raw))


def normalize_mobile(raw: str) -> str | None:
    """Return the 11-digit mobile number in raw (spaces, "-", +86/86 removed), or None."""
    s = _compact(raw).replace("-", "")
    for candidate in (s, s.removeprefix("+").removeprefix("00").removeprefix("86")):
        if _MOBILE.fullmatch(candidate):
            return candidate
    return None


def normalize_landline(raw: str) -> str | None:
    """Return raw as "区号-号码" or "区号-号码-分机", e.g. "010-12345678", or None."""
    s = re.sub(r"-+", "-", _EXTENSION_WORDS.sub("-", _compact(raw))).strip("-")
    m = _INTERNATIONAL.match(s)
    if m:  # the international form drops the trunk 0: +86 10 12345678 is 010-12345678
        rest = s[m.end():]
        s = rest if rest.startswith("0") else "0" + rest
    m = _LANDLINE.fullmatch(s)
    if m is None:
        return None
    area, number, ext = m.groups()
    if len(area) == 3 and len(number) != 8:
        return None
    return f"{area}-{number}" + (f"-{ext}" if ext else "")


def check_mobile(raw: str, field: str = "mobile", label: str = "手机号") -> list[Problem]:
    """Report a mobile number that is malformed (error) or unknown to libphonenumber (warning)."""
    number = normalize_mobile(raw)
    if number is None:
        digits = _digits(raw)
        if normalize_landline(raw) is not None:
            reason = "填的是固定电话，请改填到固定电话一栏"
        elif len(digits) == 11:
            reason = "11位手机号应以13–19开头"
        else:
            reason = f"应为11位数字，实为{len(digits)}位数字"
        return [Problem(field, "MOBILE_FORMAT", f"{label}格式错误：{reason}")]
    return _soft_check(number, field, label)


def check_landline(raw: str, field: str = "landline", label: str = "固定电话") -> list[Problem]:
    """Report a landline that is malformed (error) or unknown to libphonenumber (warning)."""
    number = normalize_landline(raw)
    if number is not None:
        return _soft_check(number, field, label)
    digits = _digits(raw)
    if normalize_mobile(raw) is not None:
        reason = "填的是手机号，请改填到手机号一栏"
    elif not digits.startswith("0") and 7 <= len(digits) <= 8:
        reason = "缺少区号，应写成“区号-号码”，如 010-12345678"
    else:
        reason = "应为“区号-号码”：区号以0开头共3–4位（010、02X为3位），号码7–8位，如 0755-23456789"
    return [Problem(field, "LANDLINE_FORMAT", f"{label}格式错误：{reason}")]


def check_phone(raw: str, field: str, label: str = "联系电话") -> list[Problem]:
    """Report a contact number that is neither a valid mobile nor a valid landline."""
    if normalize_mobile(raw) is not None:
        return check_mobile(raw, field, label)
    if normalize_landline(raw) is not None:
        return check_landline(raw, field, label)
    return [Problem(field, "PHONE_FORMAT",
                    f"{label}格式错误：应为11位手机号，或“区号-号码”形式的固定电话"
                    "（如 010-12345678）")]


def mask_phone(s: str) -> str:
    """Return the number with its middle starred: "138****8000", "010-****5678"."""
    # Stored numbers are already normalised: skip the full clean-up (every card sent masks one).
    mobile = s if _MOBILE.fullmatch(s) else normalize_mobile(s)
    if mobile is not None:
        return mobile[:3] + "****" + mobile[-4:]
    landline = normalize_landline(s)
    if landline is not None:
        area, number = landline.split("-")[:2]
        return f"{area}-" + "*" * (len(number) - 4) + number[-4:]
    digits = _digits(s)
    return "*" * len(digits) if len(digits) <= 4 else "*" * (len(digits) - 4) + digits[-4:]


def _soft_check(number: str, field: str, label: str) -> list[Problem]:
    try:
        import phonenumbers  # a declared dependency, but only a warning depends on it
    except ImportError:
        return []
    try:  # a landline is checked without its extension
        valid = phonenumbers.is_valid_number(
            phonenumbers.parse("-".join(number.split("-")[:2]), "CN"))
    except phonenumbers.NumberParseException:
        valid = False
    if valid:
        return []
    return [Problem(field, "PHONE_UNRECOGNISED",
                    f"{label}格式正确，但不在已知的号段或区号内，请与本人核实号码", WARNING)]
