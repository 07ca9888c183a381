"""Failure limits with a lockout, keyed by subject and kept in the database for every process.

Every limit of the application counts here: wrong one-time codes per member ("otp:m12"),
binding attempts per openid ("bind:wechat_oa:<openid>"), failed admin sign-ins per account
("admin-login:u5") and per address ("admin-login-ip:<ip>"), wrong short links per address
("slug-miss:<ip>"). A subject may fail ``Limit.failures`` times; the failure that reaches it
locks the subject for ``Limit.lock``. Failures older than ``Limit.window`` are forgotten (never,
when it is None: "in a row"), a lock that ran out starts a fresh count, and a success clears
it. Nothing here commits: the edge commits a failure even when it then shows a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from service.clock import format_local, now_utc
from service.errors import ServiceError
from service.extensions import db
from service.models import Throttle


class Throttled(ServiceError):
    """Refused for now: locked after failures, or asking too often (HTTP 429)."""

    code = 429


@dataclass(frozen=True)
class Limit:
    """How many failures a subject may have, how long they count, and how long a lock lasts."""

    failures: int
    lock: timedelta
    window: timedelta | None  # None: failures count until a success or a lock


def locked_until(key: str) -> datetime | None:
    """Return when the lock on ``key`` ends, or None if it is not locked."""
    until = db.session.scalar(select(Throttle.locked_until).where(Throttle.key == key))
    return until if until is not None and until > now_utc() else None


def lock_message(until: datetime) -> str:
    """Return the Chinese refusal shown to a member while a subject is locked."""
    return f"尝试次数过多，为保护您的信息安全已暂停验证，请于{format_local(until, '%H:%M')}后再试"


def fail(key: str, limit: Limit) -> int:
    """Count one failure of ``key``; return how many tries are left (0: locked now or already).

    Failures during a lock are not counted: a lock does not stretch, so the owner gets back
    in on time.
    """
    now = now_utc()
    row = db.session.scalar(select(Throttle).where(Throttle.key == key))
    if row is None:
        # A racing first failure meets the unique key; the edge's retry then counts on the row.
        row = Throttle(key=key, failures=0, first_failure_at=now)
        db.session.add(row)
        db.session.flush()
    elif row.locked_until is not None and row.locked_until > now:
        return 0
    elif (row.first_failure_at is None or row.locked_until is not None
          or (limit.window is not None and row.first_failure_at < now - limit.window)):
        row.failures, row.first_failure_at, row.locked_until = 0, now, None
        db.session.flush()
    # Increment in SQL: two workers failing at once both count.
    db.session.execute(update(Throttle).where(Throttle.id == row.id)
                       .values(failures=Throttle.failures + 1, updated_at=now)
                       .execution_options(synchronize_session=False))
    db.session.refresh(row)
    if row.failures >= limit.failures:
        row.locked_until = now + limit.lock
        row.failures, row.first_failure_at = 0, None  # after the lock, a fresh allowance
        db.session.flush()
        return 0
    return limit.failures - row.failures


def clear(key: str) -> None:
    """Forget the failures and any lock of ``key`` (a success, or an admin unlocking)."""
    db.session.execute(update(Throttle).where(Throttle.key == key)
                       .values(failures=0, first_failure_at=None, locked_until=None,
                               updated_at=now_utc())
                       .execution_options(synchronize_session=False))
