"""Working days in mainland China: public holidays and make-up working days (chinese_calendar).

The ``chinese_calendar`` package ships the State Council's holiday arrangement year by year
(1.11 knows 2004–2026). For a year it does not know yet, this module counts Monday–Friday as
working days and logs one warning per year, so reminders keep going instead of stopping; the
warning (``coverage_warning``) is also shown by ``flask reminders policy show``. Upgrade the
package once the next year's arrangement is published.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import cache

import chinese_calendar

log = logging.getLogger(__name__)


@cache
def year_known(year: int) -> bool:
    """Return whether the holiday arrangement of ``year`` is in the installed package."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def coverage_warning(*years: int) -> str | None:
    """Return a Chinese warning naming the years counted as plain Monday–Friday, or None."""
    missing = sorted({y for y in years if not year_known(y)})
    if not missing:
        return None
    named = "、".join(f"{y}年" for y in missing)
    return (f"节假日数据不含{named}（chinesecalendar {chinese_calendar.__version__}），"
            "这些年份暂按周一至周五计算工作日，请升级 chinesecalendar。")


@cache
def is_workday(day: date) -> bool:
    """Return whether ``day`` is a working day (holidays off, make-up weekend days on)."""
    if year_known(day.year):
        return bool(chinese_calendar.is_workday(day))
    _warn_once(day.year)
    return day.weekday() < 5


def add_workdays(day: date, n: int) -> date:
    """Return the ``n``-th working day after ``day`` (``n`` = 0: ``day`` or the next workday)."""
    current = day
    if n == 0:
        while not is_workday(current):
            current += timedelta(days=1)
        return current
    left = n
    while left > 0:
        current += timedelta(days=1)
        if is_workday(current):
            left -= 1
    return current


def workdays_between(start: date, end: date) -> int:
    """Return how many working days lie after ``start`` up to and including ``end``."""
    if end <= start:
        return -workdays_between(end, start) if end < start else 0
    return sum(1 for i in range(1, (end - start).days + 1)
               if is_workday(start + timedelta(days=i)))


@cache
def _warn_once(year: int) -> None:
    log.warning("%s", coverage_warning(year))
