"""The one place that knows the time: UTC for storage, Asia/Shanghai for people."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def now_utc() -> datetime:
    """Return the current time as a naive UTC datetime, the form stored in the database."""
    return datetime.now(UTC).replace(tzinfo=None)


def today_local() -> date:
    """Return today's date in Asia/Shanghai."""
    return datetime.now(LOCAL_TZ).date()


def to_local(moment: datetime) -> datetime:
    """Convert a stored naive UTC datetime to an aware Asia/Shanghai datetime for display."""
    return moment.replace(tzinfo=UTC).astimezone(LOCAL_TZ)


def format_local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format a stored UTC datetime in Asia/Shanghai, or "" for None."""
    return "" if moment is None else to_local(moment).strftime(fmt)
