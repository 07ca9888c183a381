"""Party date rules: joining age, probation by historical period, 转正 consistency."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.records.party_dates import add_months, check_party_dates
from service.records.problems import Problem

TODAY = date(2025, 6, 30)
FULL, PROBATIONARY = "正式党员", "预备党员"
ADULT = date(1900, 1, 1)  # a birth date that never trips the age rule for these joins


def rules(problems: list[Problem]) -> list[tuple[str, str, str]]:
    return [(p.field, p.rule, p.severity) for p in problems]


def check(joined: date, full: date | None, kind: str = FULL, birth: date | None = ADULT,
          today: date = TODAY) -> list[tuple[str, str, str]]:
    return rules(check_party_dates(birth, joined, full, kind, today))


@pytest.mark.parametrize("full, expected", [
    (date(2017, 6, 1), []),
    (date(2017, 5, 31), [("full_on", "PROBATION_LT_1_YEAR", "error")]),
    (date(2016, 6, 1), [("full_on", "PROBATION_LT_1_YEAR", "error")]),
    (date(2017, 10, 1), [("full_on", "PROBATION_EXTENSION_LT_HALF_YEAR", "warning")]),
    (date(2017, 12, 1), []),  # extended by exactly half a year
    (date(2018, 6, 1), []),  # extended by the maximum year
    (date(2018, 6, 2), [("full_on", "PROBATION_GT_2_YEARS", "error")]),
    (None, [("full_on", "FULL_DATE_MISSING", "error")]),
])
def test_one_year_probation_since_1977(
        full: date | None, expected: list[tuple[str, str, str]]) -> None:
    birth = date(1990, 1, 1)
    assert check(date(2016, 6, 1), full, birth=birth) == expected


def test_lt_1_year_message_names_the_earliest_allowed_date() -> None:
    (problem,) = check_party_dates(ADULT, date(2016, 6, 1), date(2017, 3, 1), FULL, TODAY)
    assert "2017-06-01" in problem.message and "2017-03-01" in problem.message


@pytest.mark.parametrize("joined", [date(1921, 7, 1), date(1923, 6, 9), date(1928, 6, 18),
                                    date(1945, 4, 22), date(1969, 4, 1), date(1977, 8, 11)])
def test_no_probation_periods(joined: date) -> None:
    assert check(joined, None) == []
    assert check(joined, joined) == []
    assert check(joined, add_months(joined, 12)) == [
        ("full_on", "FULL_DATE_IN_NO_PROBATION_PERIOD", "error")]


@pytest.mark.parametrize("joined", [date(1969, 3, 31), date(1977, 8, 12), date(1956, 9, 15)])
def test_one_year_periods_start_and_end_on_congress_days(joined: date) -> None:
    assert check(joined, joined) == [("full_on", "PROBATION_LT_1_YEAR", "error")]
    assert check(joined, None) == [("full_on", "FULL_DATE_MISSING", "error")]


def test_1945_to_1956_probations_of_other_lengths_are_accepted() -> None:
    assert check(date(1950, 3, 1), date(1950, 9, 1)) == []
    assert check(date(1950, 3, 1), None) == [("full_on", "FULL_DATE_MISSING", "error")]


def test_1927_window_missing_full_date_only_warns() -> None:
    assert check(date(1927, 6, 1), None) == [
        ("full_on", "FULL_DATE_MISSING", "warning")]


def test_recent_join_without_full_date_hints_at_probationary() -> None:
    (problem,) = check_party_dates(ADULT, date(2025, 1, 1), None, FULL, TODAY)
    assert problem.rule == "FULL_DATE_MISSING" and "应为预备党员" in problem.message


def test_full_before_join_and_dates_in_the_future() -> None:
    assert check(date(2016, 6, 1), date(2016, 5, 1)) == [("full_on", "FULL_BEFORE_JOIN", "error")]
    assert check(TODAY + timedelta(days=1), None) == [
        ("joined_on", "JOIN_DATE_FUTURE", "error")]
    assert check(date(2024, 7, 1), TODAY + timedelta(days=1)) == [
        ("full_on", "FULL_DATE_FUTURE", "error")]


def test_join_before_the_party_was_founded() -> None:
    assert check(date(1921, 6, 30), None) == [
        ("joined_on", "JOIN_BEFORE_FOUNDING", "error"), ("full_on", "FULL_DATE_MISSING", "error")]


def test_probationary_member_rules() -> None:
    assert check(date(2024, 12, 1), None, PROBATIONARY) == []
    assert check(date(2024, 12, 1), date(2025, 12, 1), PROBATIONARY, today=date(2026, 1, 1)) == [
        ("full_on", "PROBATIONARY_HAS_FULL_DATE", "error")]
    assert check(date(2023, 6, 29), None, PROBATIONARY) == [
        ("member_type", "PROBATION_OVERDUE", "warning")]
    assert check(date(2023, 6, 30), None, PROBATIONARY) == []


def test_age_at_joining() -> None:
    birth = date(1990, 5, 2)
    assert check(date(2008, 5, 2), date(2009, 5, 2), birth=birth) == []
    assert check(date(2008, 5, 1), date(2009, 5, 1), birth=birth) == [
        ("joined_on", "JOIN_UNDER_18", "error")]
    # Before the 1982 constitution the age rule is not verified, so it only warns.
    assert check(date(1965, 1, 1), date(1966, 1, 1), birth=date(1950, 1, 1)) == [
        ("joined_on", "JOIN_UNDER_18", "warning")]
    assert check(date(1989, 1, 1), date(1990, 1, 1), birth=birth) == [
        ("joined_on", "JOIN_BEFORE_BIRTH", "error")]
    assert check(date(2008, 5, 1), date(2009, 5, 1), birth=None) == []


def test_add_months_clamps_the_day() -> None:
    assert add_months(date(2016, 2, 29), 12) == date(2017, 2, 28)
    assert add_months(date(2016, 2, 29), 48) == date(2020, 2, 29)
    assert add_months(date(2017, 1, 31), 1) == date(2017, 2, 28)
    assert add_months(date(2017, 12, 15), 1) == date(2018, 1, 15)
    assert check(date(2016, 2, 29), date(2017, 2, 28)) == []


joins = st.dates(min_value=date(1977, 8, 12), max_value=date(2022, 6, 30))


@given(joins, st.sampled_from([12, 18, 19, 20, 21, 22, 23, 24]))
def test_conversion_after_one_year_or_a_long_enough_extension_passes(joined: date, k: int) -> None:
    assert check(joined, add_months(joined, k)) == []


@given(joins, st.integers(0, 364))
def test_conversion_within_the_first_year_is_too_early(joined: date, days: int) -> None:
    full = joined + timedelta(days=days)
    if full < add_months(joined, 12):
        assert check(joined, full) == [("full_on", "PROBATION_LT_1_YEAR", "error")]
    else:  # 365 days can reach past a 29 February
        assert check(joined, full) == []


@given(joins, st.integers(13, 17))
def test_short_extensions_warn(joined: date, k: int) -> None:
    assert check(joined, add_months(joined, k)) == [
        ("full_on", "PROBATION_EXTENSION_LT_HALF_YEAR", "warning")]
