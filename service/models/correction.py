"""Correction requests: a member's dispute of named fields, queued for the branch admin."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.crypto import EncryptedText
from service.extensions import db
from service.models.campaign import CampaignMember, Card
from service.schema import BigId, created_at, intpk

OPEN = "open"
ACCEPTED = "accepted"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"  # settled another way (a collector confirmed the record as it was)
STATUS_LABELS = {OPEN: "待处理", ACCEPTED: "已采纳", REJECTED: "未采纳", WITHDRAWN: "已撤回"}


class CorrectionRequest(db.Model):
    """What the member says is wrong and what it should be, and how the admin answered."""

    __tablename__ = "correction_requests"

    id: Mapped[intpk]
    campaign_member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("campaign_members.id"), index=True
    )
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("members.id"), index=True)
    card_id: Mapped[int] = mapped_column(BigId, ForeignKey("cards.id"), index=True)
    # The branch whose admin answers it (the member's org when the dispute came in).
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("orgs.id"), index=True)
    fields: Mapped[list[str]] = mapped_column(JSON)
    # {field: proposed value as text}; encrypted because it may hold an ID number or phone.
    proposed: Mapped[str] = mapped_column(EncryptedText("correction.proposed"))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=OPEN, index=True)
    basis: Mapped[str | None] = mapped_column(Text)  # accepted: 依据 for the record change
    reason: Mapped[str | None] = mapped_column(Text)  # rejected: told to the member
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[created_at]

    campaign_member: Mapped[CampaignMember] = relationship()
    card: Mapped[Card] = relationship()

    def __repr__(self) -> str:
        return f"<CorrectionRequest {self.id} {self.status}>"
