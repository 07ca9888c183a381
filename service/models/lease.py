"""Named leases: which process holds a deployment-wide role (the scheduler) and until when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import db


class Lease(db.Model):
    """One role held by one process until ``expires_at`` unless it renews in time."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]
    acquired_at: Mapped[datetime]  # when this holder took it (renewals leave it)
