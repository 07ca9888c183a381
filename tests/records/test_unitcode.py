"""Unit codes: GB 32100 USCC and GB 11714 organisation codes, against independent checksums."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.records.problems import Problem
from service.records.unitcode import check_unit_code, normalize_unit_code, uscc_check_char

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, Z, S, V
ORG_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # GB 11714 appendix A


def uscc_ok(code: str) -> bool:
    """GB 32100 by definition: C18 = 31 - (sum of C_i * 3^(i-1) mod 31), i.e. the total is 0."""
    total = sum(USCC_CHARS.index(c) * pow(3, i - 1, 31) for i, c in enumerate(code[:17], 1))
    return (total + USCC_CHARS.index(code[17])) % 31 == 0


def org_ok(code: str) -> bool:
    """GB 11714 by definition: weights 2^(9-i) mod 11, C9 = 11 - sum mod 11 (X = 10, 0 = 11)."""
    total = sum(ORG_CHARS.index(c) * pow(2, 9 - i, 11) for i, c in enumerate(code[:8], 1))
    check = 10 if code[8] == "X" else int(code[8])
    return (total + check) % 11 == 0


def complete_uscc(body: str) -> str:
    (check,) = [c for c in USCC_CHARS if uscc_ok(body + c)]
    return body + check


def complete_org(body: str) -> str:
    (check,) = [c for c in "0123456789X" if org_ok(body + c)]
    return body + check


def rules(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.rule, p.severity) for p in problems]


uscc_bodies = st.builds(
    lambda head, region, org: head + region + org,
    st.text(USCC_CHARS, min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(USCC_CHARS, min_size=9, max_size=9),
)
org_bodies = st.text(ORG_CHARS, min_size=8, max_size=8)


@pytest.mark.parametrize("code", [
    "91350100M000100Y43",  # GB 32100 worked example
    "92141127MA0KD1Y64A",  # real 个体工商户 code, letters in the embedded org code
    "N2330106MF1234567L",  # 农业 department code: python-stdnum rejects it
    "91110000600037341L",  # python-stdnum's own example
    "91110106700109904W",  # joint-branch units shown in the operations manual
    "911101066675018826",
    "91110106776381509J",
    "91110106L03740867A",
])
def test_valid_credit_codes(code: str) -> None:
    assert uscc_ok(code) and org_ok(code[8:17])
    assert check_unit_code(code) == []


@pytest.mark.parametrize("code", ["Y1110000MB01234564", "A1110000MB0123456Q"])
def test_letter_department_codes_with_a_bad_embedded_org_code_only_warn(code: str) -> None:
    assert uscc_ok(code) and not org_ok(code[8:17])
    assert rules(check_unit_code(code)) == [("USCC_EMBEDDED_ORGCODE", "warning")]


def test_worked_example_with_the_wrong_check_character() -> None:
    assert rules(check_unit_code("91350100M000100Y4Z")) == [("USCC_FORMAT", "error")]  # Z unused
    problems = check_unit_code("91350100M000100Y44")
    assert rules(problems) == [("USCC_CHECKSUM", "error")]
    assert "应为 3，实为 4" in problems[0].message


def test_unknown_department_code_is_a_warning() -> None:
    code = complete_uscc("B1110000MA0KD1Y6" + "4")
    assert rules(check_unit_code(code)) == [("USCC_DEPT_UNKNOWN", "warning")]


def test_region_part_must_be_digits() -> None:
    assert rules(check_unit_code(complete_uscc("9135A100M000100Y4"))) == [("USCC_FORMAT", "error")]


@pytest.mark.parametrize("code", ["MJX17369-9", "MJX173699", "M000100Y-4", "60003734-1",
                                  "70846113-6", "mjx17369－9", " 0 ", "０"])
def test_valid_organisation_codes_and_no_code(code: str) -> None:
    assert check_unit_code(code) == []


def test_organisation_code_errors() -> None:
    assert org_ok("MJX173699") and not org_ok("MJX173698")
    problems = check_unit_code("MJX17369-8")
    assert rules(problems) == [("ORGCODE_CHECKSUM", "error")]
    assert "应为 9，实为 8" in problems[0].message
    assert rules(check_unit_code("MJX17369-Y")) == [("ORGCODE_FORMAT", "error")]
    assert rules(check_unit_code("12345")) == [("UNIT_CODE_LENGTH", "error")]
    assert rules(check_unit_code("")) == [("UNIT_CODE_LENGTH", "error")]


def test_normalize_unit_code() -> None:
    assert normalize_unit_code(" mjx17369-9 ") == "MJX173699"
    assert normalize_unit_code("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


@given(uscc_bodies)
def test_every_valid_credit_code_passes_and_every_other_check_char_fails(body: str) -> None:
    code = complete_uscc(body)
    assert uscc_check_char(body) == code[17]
    assert not [p for p in check_unit_code(code) if p.is_error]
    for wrong in (c for c in USCC_CHARS if c != code[17]):
        assert ("USCC_CHECKSUM", "error") in rules(check_unit_code(body + wrong))


@given(st.sampled_from("123456789ANY"), st.text(USCC_CHARS, min_size=1, max_size=1),
       st.text("0123456789", min_size=6, max_size=6), org_bodies.filter(
           lambda b: all(c in USCC_CHARS for c in b)))
def test_credit_code_built_from_a_valid_org_code_has_no_problem(
        dept: str, kind: str, region: str, org_body: str) -> None:
    org = complete_org(org_body)
    assert org[8] in USCC_CHARS  # 0-9 and X: every GB 11714 check character fits a USCC
    assert check_unit_code(complete_uscc(dept + kind + region + org)) == []


@given(org_bodies)
def test_every_valid_org_code_passes_and_every_other_check_char_fails(body: str) -> None:
    code = complete_org(body)
    assert check_unit_code(code) == []
    assert check_unit_code(f"{code[:8]}-{code[8]}") == []
    for wrong in (c for c in "0123456789X" if c != code[8]):
        assert rules(check_unit_code(body + wrong)) == [("ORGCODE_CHECKSUM", "error")]
