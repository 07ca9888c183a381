"""The inbox: every provider push we received, once, and what became of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.crypto import EncryptedText
from service.extensions import db
from service.schema import BigId, created_at, intpk

# Sources.
WECHAT_OA = "wechat_oa"
WECHAT_MP = "wechat_mp"
SMS_ALIYUN = "sms_aliyun"
SMS_TENCENT = "sms_tencent"

# Statuses. QUEUED rows are the branch admin's queue: a reply we could not match safely.
HANDLED = "handled"
QUEUED = "queued"
RESOLVED = "resolved"  # an admin dealt with a queued row
IGNORED = "ignored"  # nothing to do (an event we only log)
STATUS_LABELS = {HANDLED: "已自动处理", QUEUED: "待人工处理", RESOLVED: "已人工处理",
                 IGNORED: "无需处理"}


class InboxMessage(db.Model):
    """One inbound push, unique per (source, dedupe_key) so a provider's retry is handled once.

    ``dedupe_key`` is the provider's id (WeChat MsgId; sender + CreateTime + event for events;
    the SMS provider's reply or receipt id). The raw body is encrypted: SMS pushes carry the
    sender's phone. ``sender_bidx`` is the phone's blind index (or the openid itself).
    """

    __tablename__ = "inbox_messages"
    __table_args__ = (UniqueConstraint("source", "dedupe_key"),)

    id: Mapped[intpk]
    source: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str] = mapped_column(String(191))
    kind: Mapped[str] = mapped_column(String(32))  # text, event:<name>, receipt, reply
    sender_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    raw: Mapped[str] = mapped_column(EncryptedText("inbox.raw"))
    member_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("members.id"), index=True)
    org_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("orgs.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=HANDLED, index=True)
    note: Mapped[str | None] = mapped_column(Text)  # why it was queued, or how it was resolved
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    resolved_at: Mapped[datetime | None]
    received_at: Mapped[created_at]

    def __repr__(self) -> str:
        return f"<InboxMessage {self.source} {self.kind} {self.status}>"
