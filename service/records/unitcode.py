"""党组织所在单位代码: the USCC (GB 32100-2015), the organisation code (GB 11714-1997), or "0".

Hand-written because python-stdnum's cn.uscc rejects legal codes whose first two characters are
letters (N2…, Y1…, A1…) and has no GB 11714 check.
"""

from __future__ import annotations

import re

from service.records.fields import NO_UNIT_CODE
from service.records.problems import WARNING, Problem
from service.records.text import strip_all_spaces

FIELD = "unit_code"
LABEL = "党组织所在单位代码"

# GB 32100: 31 symbols, no I O Z S V; weights 3^(i-1) mod 31 as printed in the standard.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
# Registration departments (first character) after the 2016 widening: 1-9, A 军队, N 农业, Y 其他.
USCC_DEPARTMENTS = frozenset("123456789ANY")

# GB 11714: the full A-Z alphabet (A=10 … Z=35), not the USCC one; weights from the standard.
ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG = re.compile(r"[0-9A-Z]{8}[0-9X]")


def uscc_check_char(body17: str) -> str:
    """Return the GB 32100 check character (ISO 7064 MOD 31-3) for the first 17 characters."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_check_char(body8: str) -> str:
    """Return the GB 11714 check character for the first 8 characters (10 is X, 11 is 0)."""
    total = sum(ORG_ALPHABET.index(c) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def normalize_unit_code(raw: str) -> str:
    """Return raw half-width, upper-case, without spaces or hyphens ("XXXXXXXX-X" → 9 chars)."""
    # The hyphen is only print layout (GB 11714 writes it before the check character).
    return strip_all_spaces(raw).upper().replace("-", "")


def check_unit_code(raw: str, field: str = FIELD) -> list[Problem]:
    """Report what is wrong with a unit code; "0" (no code) is accepted."""
    s = normalize_unit_code(raw)
    if s == NO_UNIT_CODE:
        return []
    if len(s) == 18:
        return _check_uscc(s, field)
    if len(s) == 9:
        return _check_org_code(s, field)
    return [Problem(field, "UNIT_CODE_LENGTH",
                    f"{LABEL}应为18位统一社会信用代码或9位组织机构代码，实为{len(s)}位；"
                    f"单位确无代码的填“0”")]


def _check_uscc(s: str, field: str) -> list[Problem]:
    if not _USCC.fullmatch(s):
        return [Problem(field, "USCC_FORMAT",
                        f"{LABEL}（统一社会信用代码）格式错误：第3–8位应为数字，其余各位为数字或"
                        f"除I、O、Z、S、V以外的大写字母")]
    problems: list[Problem] = []
    expected = uscc_check_char(s[:17])
    if s[17] != expected:
        problems.append(Problem(field, "USCC_CHECKSUM",
                                f"{LABEL}（统一社会信用代码）校验码错误：按 GB 32100 第18位应为 "
                                f"{expected}，实为 {s[17]}，请对照营业执照或登记证书核对"))
    if s[0] not in USCC_DEPARTMENTS:
        problems.append(Problem(field, "USCC_DEPT_UNKNOWN",
                                f"{LABEL}（统一社会信用代码）第1位登记管理部门码“{s[0]}”不在已知"
                                f"范围（1–9、A、N、Y）内，请核对", WARNING))
    # Characters 9-17 are the unit's GB 11714 organisation code; a failure is only suspicious.
    if s[16] != org_check_char(s[8:16]):
        problems.append(Problem(field, "USCC_EMBEDDED_ORGCODE",
                                f"{LABEL}（统一社会信用代码）第9–17位不是有效的组织机构代码"
                                f"（按 GB 11714 第17位应为 {org_check_char(s[8:16])}），请核对",
                                WARNING))
    return problems


def _check_org_code(s: str, field: str) -> list[Problem]:
    if not _ORG.fullmatch(s):
        return [Problem(field, "ORGCODE_FORMAT",
                        f"{LABEL}（组织机构代码）格式错误：应为8位数字或大写字母加1位校验码"
                        f"（数字或X），即 XXXXXXXX-X")]
    expected = org_check_char(s[:8])
    if s[8] != expected:
        return [Problem(field, "ORGCODE_CHECKSUM",
                        f"{LABEL}（组织机构代码）校验码错误：按 GB 11714 第9位应为 {expected}，"
                        f"实为 {s[8]}，请对照组织机构代码证核对")]
    return []
