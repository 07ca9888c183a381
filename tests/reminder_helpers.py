"""Helpers for the reminder and scheduler tests: a movable clock and a campaign started at it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from sqlalchemy import func, select

from service import fake_clock
from service.campaign.campaigns import start_campaign
from service.extensions import db
from service.models import Campaign, Member, OutboxMessage, ReminderStep
from service.models.outbox import REMINDER
from service.unit_of_work import run_unit
from tests.workflow_helpers import committee

START = "2026-11-30 09:00"  # a Monday; the default policy's first reminder is on 12-01
DEADLINE = date(2026, 12, 14)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, at: str) -> None:
        self.now = fake_clock.parse_local(at)

    def set(self, at: str) -> datetime:
        self.now = fake_clock.parse_local(at)
        return self.utc()

    def utc(self) -> datetime:
        return fake_clock.parse_local(self.now.isoformat()).astimezone(
            fake_clock.UTC).replace(tzinfo=None)


@contextmanager
def controlled_clock(at: str = START) -> Iterator[Clock]:
    """Install a clock at ``at`` (Asia/Shanghai) for the block."""
    clock = Clock(at)
    fake_clock.install(lambda: clock.now)
    try:
        yield clock
    finally:
        fake_clock.uninstall()


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
