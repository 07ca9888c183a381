"""A clock that follows a source (a simulation's time, a file), set under ``service.clock``.

``service.clock`` reads the time through its module-level ``datetime``; installing a source
swaps that name for a subclass whose ``now()`` asks the source, so every ``now_utc()`` and
``today_local()`` (column defaults included) follows it while the process clock keeps running.
The campaign simulation moves it hour by hour, and the scheduler restart test's child process
reads it from a file (``testkit.scheduler_entry``); APScheduler and the outbox still wait on
real time. Tests that only need a fixed or moved date use time-machine instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, tzinfo
from pathlib import Path

import pytest

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


def under_faketime() -> bool:
    """Return whether this process runs under libfaketime (`make test-future`)."""
    return any("faketime" in p for p in os.environ.get("LD_PRELOAD", "").split())


# Under libfaketime every timed lock wait (threading.Event.wait, APScheduler's wake-up) asks
# the kernel for a deadline on the shifted monotonic clock and sleeps for the whole shift. A
# test that runs a scheduler thread in this process cannot run there; its logic runs in the
# plain suite, and the restart test keeps the future run's coverage with a child process.
needs_real_timed_waits = pytest.mark.skipif(
    under_faketime(), reason="timed lock waits sleep for the whole libfaketime shift")


def without_faketime(env: Mapping[str, str]) -> dict[str, str]:
    """Return ``env`` without libfaketime, for a child that must wait on real time.

    Under `make test-future` libfaketime also shifts CLOCK_MONOTONIC, but glibc's
    sem_clockwait (behind every timed lock wait in Python, APScheduler's wake-up included)
    reaches the kernel unshifted, so the child would sleep for the whole shift. Its "now"
    comes from the clock file anyway, so the shift would change nothing it decides.
    """
    preload = " ".join(p for p in env.get("LD_PRELOAD", "").split() if "faketime" not in p)
    clean = {k: v for k, v in env.items()
             if not k.startswith("FAKETIME") and k != "LD_PRELOAD"}
    if preload:
        clean["LD_PRELOAD"] = preload
    return clean
