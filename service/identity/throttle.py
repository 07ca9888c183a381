"""Failure counters with a lockout, shared by every worker through the database.

A subject (a member's codes, an openid trying to bind) may fail ``OTP_MAX_FAILURES`` times in
a row; the next failure locks it for ``OTP_LOCK_SECONDS``. Failures older than the lock
period are forgotten, and a success clears the count. Nothing here commits: the edge commits
the failure even when it then shows the member a refusal.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from service.clock import format_local, now_utc
from service.errors import ServiceError
from service.extensions import db
from service.models import Throttle


class Throttled(ServiceError):
    """Refused for now: locked after failures, or asking too often (HTTP 429)."""

    code = 429


def _limit() -> int:
    return int(current_app.config["OTP_MAX_FAILURES"])


def _period() -> timedelta:
    return timedelta(seconds=int(current_app.config["OTP_LOCK_SECONDS"]))


def locked_until(key: str) -> datetime | None:
    """Return when the lock on ``key`` ends, or None if it is not locked."""
    until = db.session.scalar(select(Throttle.locked_until).where(Throttle.key == key))
    return until if until is not None and until > now_utc() else None


def lock_message(until: datetime) -> str:
    """Return the Chinese refusal shown while a subject is locked."""
    return f"尝试次数过多，为保护您的信息安全已暂停验证，请于{format_local(until, '%H:%M')}后再试"


def fail(key: str) -> int:
    """Count one failure of ``key``; return how many tries are left (0: now locked)."""
    now = now_utc()
    row = db.session.scalar(select(Throttle).where(Throttle.key == key))
    if row is None:
        # A racing first failure meets the unique key; the edge's retry then counts on the row.
        row = Throttle(key=key, failures=0, first_failure_at=now)
        db.session.add(row)
        db.session.flush()
    elif row.first_failure_at is None or row.first_failure_at < now - _period():
        row.failures, row.first_failure_at, row.locked_until = 0, now, None
        db.session.flush()
    # Increment in SQL: two workers failing at once both count.
    db.session.execute(update(Throttle).where(Throttle.id == row.id)
                       .values(failures=Throttle.failures + 1, updated_at=now)
                       .execution_options(synchronize_session=False))
    db.session.refresh(row)
    if row.failures >= _limit():
        row.locked_until = now + _period()
        row.failures, row.first_failure_at = 0, None  # after the lock, a fresh allowance
        db.session.flush()
        return 0
    return _limit() - row.failures


def clear(key: str) -> None:
    """Forget the failures of ``key`` after a success."""
    db.session.execute(update(Throttle).where(Throttle.key == key)
                       .values(failures=0, first_failure_at=None, locked_until=None,
                               updated_at=now_utc())
                       .execution_options(synchronize_session=False))
