"""Holidays and make-up working days (调休) imported by staff; they override chinesecalendar."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from service.clock import now_utc
from service.extensions import db
from service.schema import intpk

OFF, WORK = "off", "work"
KIND_LABELS = {OFF: "放假", WORK: "上班"}


class CalendarDay(db.Model):
    """One day of a year's State Council arrangement: a day off or a working day, by name."""

    __tablename__ = "calendar_days"

    id: Mapped[intpk]
    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # OFF or WORK
    name: Mapped[str] = mapped_column(String(64))  # e.g. 春节, 春节调休
    source: Mapped[str | None] = mapped_column(String(255))  # the imported file's name
    imported_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)
    imported_by: Mapped[str] = mapped_column(String(128))  # "cli", "admin:3"

    @property
    def is_workday(self) -> bool:
        """Return whether the day is worked."""
        return self.kind == WORK

    def __repr__(self) -> str:
        return f"<CalendarDay {self.day} {self.kind} {self.name}>"
