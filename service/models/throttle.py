"""Failure counters and locks of the throttle (service.throttle), one row per subject."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from service.clock import now_utc
from service.extensions import db
from service.schema import intpk


class Throttle(db.Model):
    """Failures of one subject ("otp:m12", "admin-login:u5", "slug-miss:<ip>") and its lock.

    Failures older than the limit's counting window are forgotten; a success clears the row.
    """

    __tablename__ = "throttles"

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(191), unique=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failure_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    def __repr__(self) -> str:
        return f"<Throttle {self.failures} locked_until={self.locked_until}>"
