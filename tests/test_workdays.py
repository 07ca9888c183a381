"""Working days: Chinese public holidays, make-up working days, and years the package lacks."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from service.campaign.workdays import add_workdays, is_workday, unknown_years, workdays_between
from service.holidays.coverage import notice


def test_national_day_week_is_off_and_the_make_up_saturday_is_on() -> None:
    assert not is_workday(date(2026, 10, 1))
    assert not is_workday(date(2026, 10, 7))
    assert is_workday(date(2026, 10, 10))  # a Saturday worked in exchange
    assert not is_workday(date(2026, 10, 11))  # an ordinary Sunday


def test_adding_working_days_skips_the_holiday() -> None:
    assert add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_workdays(date(2026, 11, 30), 10) == date(2026, 12, 14)
    assert add_workdays(date(2026, 12, 5), 0) == date(2026, 12, 7)  # Saturday → Monday


def test_working_days_between_counts_after_start_up_to_end() -> None:
    assert workdays_between(date(2026, 11, 30), date(2026, 12, 14)) == 10
    assert workdays_between(date(2026, 12, 14), date(2026, 11, 30)) == -10
    assert workdays_between(date(2026, 12, 1), date(2026, 12, 1)) == 0


def test_year_without_holiday_data_falls_back_to_weekdays_and_is_named_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Counting a day is not the place to warn: it happens for every member on every run.
    # The campaign commands and the dashboard name the unknown years instead.
    with caplog.at_level(logging.DEBUG):
        assert is_workday(date(2030, 3, 4))  # a Monday
        assert not is_workday(date(2030, 3, 9))  # a Saturday
    assert caplog.text == ""
    assert unknown_years(date(2026, 1, 1), date(2026, 12, 31)) == []
    assert notice(unknown_years(date(2026, 1, 1), date(2026, 12, 31))) is None
    years = unknown_years(date(2026, 12, 1), date(2031, 1, 10))
    assert 2031 in years and 2026 not in years
    warning = notice([2031])
    assert warning is not None and "2031 年" in warning and "周一至周五" in warning
    assert "flask calendar import" in warning
