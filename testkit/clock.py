"""A clock that follows a source (a simulation's time, a file), set under ``service.clock``.

``service.clock`` reads the time through its module-level ``datetime``; installing a source
swaps that name for a subclass whose ``now()`` asks the source, so every ``now_utc()`` and
``today_local()`` (column defaults included) follows it while the process clock keeps running.
The campaign simulation moves it hour by hour, and the scheduler restart test's child process
reads it from a file (``testkit.scheduler_entry``); APScheduler and the outbox still wait on
real time. Tests that only need a fixed or moved date use time-machine instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from service import clock

Source = Callable[[], datetime]  # returns an aware datetime
_REAL = clock.datetime


def parse_local(text: str) -> datetime:
    """Parse "2026-12-01 09:00" (Asia/Shanghai wall time) into an aware datetime."""
    moment = _REAL.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.LOCAL_TZ)


def to_utc(moment: datetime) -> datetime:
    """Return an aware datetime as the naive UTC value the database stores."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def install(source: Source) -> None:
    """Make ``service.clock`` tell the time from ``source`` until ``uninstall``."""

    class _Controlled(_REAL):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            moment = source().astimezone(tz or UTC)
            return moment if tz else moment.replace(tzinfo=None)

    clock.datetime = _Controlled  # type: ignore[misc]


def uninstall() -> None:
    """Give ``service.clock`` the real time again."""
    clock.datetime = _REAL  # type: ignore[misc]


def from_file(path: str | Path) -> Source:
    """Return a source reading a local wall time like "2026-12-01 09:00" from ``path``.

    The file is read at every call, so a test moves the time by rewriting it.
    """
    return lambda: parse_local(Path(path).read_text(encoding="utf-8"))
