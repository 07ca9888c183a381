"""Named leases in the database: at most one live holder per role, taken over once it lapses.

A holder renews its lease well before it runs out; a process that dies stops renewing, and
the first other process to ask after ``expires_at`` takes the role. Every call runs on its
own short connection and commits at once, so a renewal never waits for (or rides in) the
holder's own unit of work. Works the same on SQLite and MariaDB: one conditional UPDATE, or
an INSERT that the primary key lets only one process win.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from service.extensions import db
from service.models.lease import Lease


def wall_utc() -> datetime:
    """Return the system clock as naive UTC.

    Leases measure real time passing between processes, not the campaign's clock (which a
    simulation or a test may hold still), so they read the system clock directly.
    """
    return datetime.now(UTC).replace(tzinfo=None)


def acquire(name: str, holder: str, seconds: float, now: datetime | None = None) -> bool:
    """Take the lease, or renew it if ``holder`` has it; return whether ``holder`` holds it."""
    now = now or wall_utc()
    until = now + timedelta(seconds=seconds)
    with db.engine.begin() as conn:
        conn.execute(update(Lease).where(
            Lease.name == name, or_(Lease.holder == holder, Lease.expires_at < now),
        ).ordered_values(  # MySQL assigns left to right: read the old holder first
            (Lease.acquired_at, case((Lease.holder == holder, Lease.acquired_at), else_=now)),
            (Lease.holder, holder), (Lease.expires_at, until)))
        # Read back rather than trust rowcount: a renewal within the same second changes
        # nothing on a DATETIME(0) column, and some drivers then count no row.
        current = conn.execute(select(Lease.holder).where(Lease.name == name)).scalar()
    if current is not None:
        return current == holder
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(Lease).values(name=name, holder=holder, expires_at=until,
                                              acquired_at=now))
    except IntegrityError:
        return False  # another process created it first
    return True


def holder_of(name: str, now: datetime | None = None) -> str | None:
    """Return who holds the lease now, or None if nobody does (never taken, or lapsed)."""
    now = now or wall_utc()
    with db.engine.connect() as conn:
        return conn.execute(select(Lease.holder).where(
            and_(Lease.name == name, Lease.expires_at >= now))).scalar()


def release(name: str, holder: str) -> bool:
    """Give the lease up at once (a clean shutdown), if ``holder`` still has it."""
    with db.engine.begin() as conn:
        gone = conn.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))
    return bool(gone.rowcount)
