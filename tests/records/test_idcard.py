"""GB 11643 citizen ID numbers, checked against an independent MOD 11-2 computation."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.records.idcard import (
    PROVINCES,
    birth_from_id,
    check_id_number,
    id_check_char,
    mask_id,
    normalize_id,
    sex_from_id,
    upgrade_15,
)
from service.records.problems import Problem

TODAY = date(2025, 6, 30)
CHARS = "0123456789X"


def iso7064_ok(s18: str) -> bool:
    """ISO 7064 MOD 11-2 by its definition: sum of a_i * 2^(18-i) (X = 10) is 1 mod 11."""
    values = [10 if c == "X" else int(c) for c in s18]
    return sum(v * pow(2, 18 - i, 11) for i, v in enumerate(values, 1)) % 11 == 1


def complete(body17: str) -> str:
    """Append the one check character that satisfies the definition."""
    (check,) = [c for c in CHARS if iso7064_ok(body17 + c)]
    return body17 + check


def rules(problems: list[Problem]) -> set[str]:
    return {p.rule for p in problems}


bodies = st.builds(
    lambda prov, rest, born, seq: f"{prov}{rest}{born:%Y%m%d}{seq:03d}",
    st.sampled_from(sorted(PROVINCES)),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
    st.dates(min_value=date(1890, 1, 1), max_value=TODAY),
    st.integers(0, 999),
)


@pytest.mark.parametrize("number", [
    "11010519491231002X",  # GB 11643 example, 北京朝阳
    "34052419800101001X",  # annex B example; python-stdnum raises KeyError on it
    "33010619500101001X",  # rejected by stdnum's birth-year region rule
    "110228195001010012",
    "110199198001010016",  # unknown county: only the province is checked
])
def test_standard_and_stdnum_rejected_examples_are_valid(number: str) -> None:
    assert iso7064_ok(number)
    assert check_id_number(number, TODAY) == (number, [])


def test_standard_example_born_1880_fails_only_the_birth_range() -> None:
    value, problems = check_id_number("440524188001010014", TODAY)
    assert iso7064_ok("440524188001010014")
    assert value == "440524188001010014"
    assert rules(problems) == {"ID_BIRTH_RANGE"}
    assert "1890" in problems[0].message


def test_check_char_of_annex_b_body() -> None:
    assert id_check_char("34052419800101001") == "X"


@given(bodies)
def test_every_valid_number_passes(body: str) -> None:
    number = complete(body)
    assert id_check_char(body) == number[17]
    assert check_id_number(number, TODAY) == (number, [])


@given(bodies)
def test_every_wrong_check_char_fails(body: str) -> None:
    good = complete(body)
    for wrong in (c for c in CHARS if c != good[17]):
        value, problems = check_id_number(body + wrong, TODAY)
        assert value == body + wrong
        assert rules(problems) == {"ID_CHECKSUM"}
        assert f"应为 {good[17]}，实为 {wrong}" in problems[0].message


@given(bodies, st.integers(0, 16), st.integers(1, 9))
def test_every_single_digit_change_in_the_body_is_caught(body: str, pos: int, shift: int) -> None:
    number = complete(body)
    changed = number[:pos] + str((int(number[pos]) + shift) % 10) + number[pos + 1:]
    assert "ID_CHECKSUM" in rules(check_id_number(changed, TODAY)[1])


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)),
       st.from_regex(r"11[0-9]{4}", fullmatch=True), st.integers(0, 999))
def test_upgrade_15_inserts_century_and_a_valid_check(born: date, region: str, seq: int) -> None:
    id15 = f"{region}{born:%y%m%d}{seq:03d}"
    id18 = upgrade_15(id15)
    assert id18[:6] + id18[8:17] == id15
    assert id18[6:8] == "19"
    assert iso7064_ok(id18)


def test_15_digit_number_is_upgraded_with_a_warning_that_hides_it() -> None:
    value, problems = check_id_number("110105491231002", TODAY)
    assert value == "11010519491231002X"
    assert [(p.rule, p.severity) for p in problems] == [("ID_15_DIGIT_LEGACY", "warning")]
    assert "1101**********002X" in problems[0].message
    assert "110105491231002" not in problems[0].message


def test_normalize_id_handles_full_width_spaces_and_lower_case_x() -> None:
    assert normalize_id(" １１０１０５ 1949 1231 002ｘ ") == "11010519491231002X"
    assert check_id_number("11010519491231002x", TODAY) == ("11010519491231002X", [])


@pytest.mark.parametrize("raw, reason", [
    ("", "实为空"),
    ("1101051949123100", "实为16位"),
    ("11010519491231002Y", "含有数字和X以外的字符"),
    ("1101051949123100X2", "X只能出现在第18位"),
    ("110105194912310021X", "实为19位"),
])
def test_malformed_numbers_cannot_be_normalized(raw: str, reason: str) -> None:
    value, problems = check_id_number(raw, TODAY)
    assert value is None
    assert rules(problems) == {"ID_FORMAT"}
    assert reason in problems[0].message


def test_unknown_province_prefix() -> None:
    number = complete("99010519491231002")
    value, problems = check_id_number(number, TODAY)
    assert value == number
    assert rules(problems) == {"ID_PROVINCE"}


@pytest.mark.parametrize("birth, rule", [
    ("19490230", "ID_BIRTH_INVALID"),
    ("19491301", "ID_BIRTH_INVALID"),
    ("20990101", "ID_BIRTH_RANGE"),
    ("18891231", "ID_BIRTH_RANGE"),
])
def test_birth_date_must_be_real_and_plausible(birth: str, rule: str) -> None:
    number = complete(f"110105{birth}002")
    assert rules(check_id_number(number, TODAY)[1]) == {rule}


def test_no_message_reveals_the_full_number() -> None:
    for raw in ("11010519491231002Y", "110105194912310021", complete("99010520990230002")):
        for problem in check_id_number(raw, TODAY)[1]:
            assert raw not in problem.message
            assert raw[:17] not in problem.message


def test_sex_birth_and_mask() -> None:
    assert sex_from_id("11010519491231002X") == "女"
    assert sex_from_id("110105194912310010") == "男"
    assert birth_from_id("11010519491231002X") == date(1949, 12, 31)
    assert birth_from_id("110105194902300021") is None
    assert mask_id("33010619500101001X") == "3301**********001X"
    assert mask_id("1234") == "****"
