"""Reminder steps taken for a card, and the scheduler's own tables (APScheduler's store, runs)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Float, ForeignKey, LargeBinary, String, Table, Unicode
from sqlalchemy.dialects.mysql import DOUBLE
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import db
from service.schema import BigId, intpk


class ReminderStep(db.Model):
    """One escalation step taken for one card: a reminder queued, a call task, a notice.

    The key is deterministic ("rem:{campaign_member_id}:{card_id}:{step}") and also keys the
    outbox row or call task the step made, so a repeated or concurrent tick adds nothing.
    """

    __tablename__ = "reminder_steps"

    id: Mapped[intpk]
    idempotency_key: Mapped[str] = mapped_column(String(191), unique=True)
    campaign_id: Mapped[int] = mapped_column(BigId, ForeignKey("campaigns.id"), index=True)
    campaign_member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("campaign_members.id"), index=True)
    card_id: Mapped[int] = mapped_column(BigId, ForeignKey("cards.id"))
    step: Mapped[int]
    rung: Mapped[str] = mapped_column(String(16))  # wechat / sms / call / secretary
    channel: Mapped[str | None] = mapped_column(String(32))  # the outbox channel, if a message
    # The tick's own "now" (naive UTC), not the row's insert time: the one-step-a-day rule
    # and the catch-up after downtime are reckoned from it.
    taken_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<ReminderStep {self.idempotency_key} {self.rung}>"


# APScheduler's SQLAlchemyJobStore table, declared here with exactly the columns the store
# creates so that migration 0008 makes it and the models-vs-migrations check knows it.
SCHEDULER_JOBS_TABLE = "apscheduler_jobs"
scheduler_jobs = Table(
    SCHEDULER_JOBS_TABLE,
    db.metadata,
    Column("id", Unicode(191), primary_key=True),
    # Float(25) is an 8-byte float, which MariaDB creates and reflects as DOUBLE.
    Column("next_run_time", Float(25).with_variant(DOUBLE(), "mysql"), index=True),
    Column("job_state", LargeBinary, nullable=False),
)

# A job run under way (real UTC, naive): the row stays set if the process dies mid-run, so
# the restarted scheduler makes that run again (the jobs are idempotent through the database).
scheduler_runs = Table(
    "scheduler_runs",
    db.metadata,
    Column("job_id", Unicode(191), primary_key=True),
    Column("running_since", DateTime, nullable=True),
)
