"""Working days in mainland China: imported holidays over the chinesecalendar package.

Two sources answer whether a day is worked. Days imported into ``calendar_days`` (``flask
calendar import``, the 节假日 admin page) come first; then the ``chinese_calendar`` package,
which ships the State Council's arrangement year by year (1.11 knows 2004–2026). A year is
known when the package has it or when any of its days was imported (a file is a whole year's
arrangement). A day of a year neither source knows counts Monday–Friday, so reminders keep
going; ``unknown_years`` tells the commands and pages that show a campaign to say so.

The package's answers never change within a process and are cached. Imported days may change
at any time on another host, so they are read once per app context (a request, a CLI
command, a scheduler job) and never kept longer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import chinese_calendar
from flask import g, has_app_context
from sqlalchemy import select

from service.extensions import db
from service.models.calendar_day import WORK, CalendarDay

_G_KEY = "calendar_imported"


@dataclass(frozen=True)
class Imported:
    """The imported days, as loaded for this unit of work."""

    days: dict[date, bool]  # day → is a working day
    years: frozenset[int]


def imported() -> Imported:
    """Return the imported days, read once per app context (none outside one)."""
    if not has_app_context():
        return Imported({}, frozenset())
    loaded: Imported | None = g.get(_G_KEY)
    if loaded is None:  # every row: a year's arrangement is a few dozen days
        rows = db.session.execute(select(CalendarDay.day, CalendarDay.kind)).all()
        days = {day: kind == WORK for day, kind in rows}
        loaded = Imported(days, frozenset(d.year for d in days))
        setattr(g, _G_KEY, loaded)
    return loaded


def forget() -> None:
    """Drop this app context's copy of the imported days (after an import changed them)."""
    if has_app_context():
        g.pop(_G_KEY, None)


@cache
def package_knows(year: int) -> bool:
    """Return whether the installed chinesecalendar has the arrangement of ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def year_known(year: int) -> bool:
    """Return whether either source knows the arrangement of ``year``."""
    return year in imported().years or package_knows(year)


def unknown_years(start: date, end: date) -> list[int]:
    """Return the years of the days in [start, end] that neither source knows."""
    return [y for y in range(start.year, end.year + 1) if not year_known(y)]


@cache
def _package_workday(day: date) -> bool | None:
    if not package_knows(day.year):
        return None
    return bool(chinese_calendar.is_workday(day))


def is_workday(day: date) -> bool:
    """Return whether ``day`` is a working day (holidays off, make-up weekend days on)."""
    return _is_workday(day, imported().days)


def _is_workday(day: date, days: dict[date, bool]) -> bool:
    answer = days.get(day)
    if answer is None:
        answer = _package_workday(day)
    return day.weekday() < 5 if answer is None else answer


def add_workdays(day: date, n: int) -> date:
    """Return the ``n``-th working day after ``day`` (``n`` = 0: ``day`` or the next workday)."""
    days = imported().days  # once: this runs for every member on every scheduler run
    current = day
    if n == 0:
        while not _is_workday(current, days):
            current += timedelta(days=1)
        return current
    left = n
    while left > 0:
        current += timedelta(days=1)
        if _is_workday(current, days):
            left -= 1
    return current


def workdays_between(start: date, end: date) -> int:
    """Return how many working days lie after ``start`` up to and including ``end``."""
    if end <= start:
        return -workdays_between(end, start) if end < start else 0
    days = imported().days
    return sum(1 for i in range(1, (end - start).days + 1)
               if _is_workday(start + timedelta(days=i), days))
