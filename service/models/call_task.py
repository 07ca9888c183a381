"""Call tasks: a collector is asked to phone a member the messages did not reach."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import db
from service.schema import BigId, created_at, intpk

OPEN = "open"
DONE = "done"  # the collector called (outcome in ``outcome``)
CANCELLED = "cancelled"  # the member settled their card before anyone called
STATUS_LABELS = {OPEN: "待联系", DONE: "已联系", CANCELLED: "已取消（党员已确认）"}


class CallTask(db.Model):
    """One member to phone, for one campaign membership, created once per escalation step."""

    __tablename__ = "call_tasks"

    id: Mapped[intpk]
    # Deterministic ("call:{campaign_member_id}:{step}"), so a rerun of the escalation adds nothing.
    idempotency_key: Mapped[str] = mapped_column(String(191), unique=True)
    campaign_member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("campaign_members.id"), index=True
    )
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("members.id"), index=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("orgs.id"), index=True)  # the branch
    reason: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=OPEN, index=True)
    due_at: Mapped[datetime]
    outcome: Mapped[str | None] = mapped_column(Text)
    done_by: Mapped[str | None] = mapped_column(String(128))
    done_at: Mapped[datetime | None]
    created_at: Mapped[created_at]

    def __repr__(self) -> str:
        return f"<CallTask {self.id} {self.status}>"
