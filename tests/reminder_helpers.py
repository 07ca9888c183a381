"""Helpers for the reminder and scheduler tests: a movable clock and a campaign started at it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

import time_machine
from sqlalchemy import func, select

from service.campaign.campaigns import start_campaign
from service.extensions import db
from service.models import Campaign, Member, OutboxMessage, ReminderStep
from service.models.outbox import REMINDER
from service.unit_of_work import run_unit
from testkit.clock import parse_local, to_utc
from testkit.workflow import committee

START = "2026-11-30 09:00"  # a Monday; the default policy's first reminder is on 12-01
DEADLINE = date(2026, 12, 14)


class Clock:
    """The frozen process clock, moved by hand to Asia/Shanghai wall times."""

    def __init__(self, traveller: time_machine.Traveller, at: str) -> None:
        self._traveller = traveller
        self.now = parse_local(at)

    def set(self, at: str) -> datetime:
        """Move the clock to ``at`` and return that moment as stored (naive UTC)."""
        self.now = parse_local(at)
        self._traveller.move_to(self.now.timestamp())
        return self.utc()

    def utc(self) -> datetime:
        return to_utc(self.now)


@contextmanager
def controlled_clock(at: str = START) -> Iterator[Clock]:
    """Freeze the clock at ``at`` (Asia/Shanghai) for the block; ``set`` moves it."""
    # A timestamp: a datetime with a ZoneInfo would also switch the process's local time zone.
    with time_machine.travel(parse_local(at).timestamp(), tick=False) as traveller:
        yield Clock(traveller, at)


def started_at(members_per_branch: int = 2) -> tuple[Campaign, list[Member]]:
    """Start a campaign over a fresh committee at the current (controlled) time."""
    root, _, members = committee(members_per_branch)
    campaign = run_unit(lambda: start_campaign(root, DEADLINE, actor="admin:1"))
    return campaign, members


def steps() -> list[ReminderStep]:
    """Return every reminder step taken, in order."""
    db.session.expire_all()
    return list(db.session.scalars(select(ReminderStep).order_by(ReminderStep.id)))


def reminder_keys() -> list[str]:
    """Return the idempotency keys of every reminder message in the outbox."""
    return list(db.session.scalars(
        select(OutboxMessage.idempotency_key).where(OutboxMessage.kind == REMINDER)))


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
