"""A controllable clock for tests and the campaign simulation, set under ``service.clock``.

``service.clock`` reads the time through its module-level ``datetime``; installing a source
swaps that name for a subclass whose ``now()`` asks the source, so every ``now_utc()`` and
``today_local()`` (column defaults included) follows it and ``service.clock``'s API is
unchanged. Production never installs one: only the simulation, tests, ``flask scheduler tick
--at`` and, for the restart test, ``flask scheduler run`` with ``REMINDER_CLOCK_FILE`` set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from service import clock

log = logging.getLogger(__name__)
Source = Callable[[], datetime]  # returns an aware datetime
_REAL = clock.datetime


def parse_local(text: str) -> datetime:
    """Parse "2026-12-01 09:00" (Asia/Shanghai wall time) into an aware datetime."""
    moment = _REAL.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.LOCAL_TZ)


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


def fixed(moment: datetime) -> Source:
    """Return a source that always says ``moment``."""
    return lambda: moment


def from_file(path: str) -> Source:
    """Return a source reading a local wall time like "2026-12-01 09:00" from ``path``.

    The file is read at every call, so a test moves the time by rewriting it.
    """
    return lambda: parse_local(Path(path).read_text(encoding="utf-8"))


def install_from_config(config: dict) -> bool:
    """Install the file clock named by ``REMINDER_CLOCK_FILE``, if any; return whether."""
    path = config.get("REMINDER_CLOCK_FILE")
    if not path:
        return False
    log.warning("使用模拟时钟（REMINDER_CLOCK_FILE=%s），仅供测试", path)
    install(from_file(path))
    return True
