"""The outbox: one row per message to send, written in the same transaction as the decision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from service.clock import now_utc
from service.extensions import db
from service.schema import BigId, created_at, intpk

# Kinds of message.
CARD = "card"
REMINDER = "reminder"
NOTICE = "notice"  # to an admin
OTP = "otp"  # a one-time SMS code to the member's phone on record (service.identity.otp)

# States. A row waiting for a retry is PENDING with a later next_attempt_at and a last_error.
PENDING = "pending"
SENDING = "sending"  # claimed by a worker until claimed_until (a lease a dead worker loses)
SENT = "sent"  # the provider accepted it
DELIVERED = "delivered"  # the provider's receipt says it reached the phone
FAILED = "failed"  # this channel cannot reach the member; a fallback row took over
DEAD = "dead"  # retries exhausted or refused for good: an admin must look
CANCELLED = "cancelled"  # a reminder no longer needed: the member settled before it went
STATE_LABELS = {
    PENDING: "待发送", SENDING: "发送中", SENT: "已发送", DELIVERED: "已送达",
    FAILED: "已改用其他渠道", DEAD: "发送失败", CANCELLED: "已取消（无需再发）",
}


class OutboxMessage(db.Model):
    """A message to send once: who, which card, by which channel, and how far it got.

    No phone number or openid is stored here: the dispatcher looks the member up at send
    time, so a changed phone is used and the outbox holds nothing to leak.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_claim", "state", "next_attempt_at"),)

    id: Mapped[intpk]
    # Deterministic ("card:42", "card:42:fb:sms_aliyun"): enqueueing twice adds nothing.
    idempotency_key: Mapped[str] = mapped_column(String(191), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(32), index=True)
    campaign_member_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("campaign_members.id"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("members.id"), index=True)
    card_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cards.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)  # claims so far, a crash included
    next_attempt_at: Mapped[datetime] = mapped_column(default=now_utc)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    provider_msg_id: Mapped[str | None] = mapped_column(String(128))
    last_error: Mapped[str | None] = mapped_column(String(255))
    # A provider call for this row started (set just before it, and kept): only such a row
    # may have reached the provider when its worker died. ``sent_at`` with the state still
    # ``sending`` means the provider accepted it and the worker died before recording that.
    started_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.state}>"
