"""Contact records: how a collector reached a member for a proxy confirmation, kept for 备查."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.crypto import EncryptedString
from service.extensions import db
from service.schema import BigId, created_at, intpk


class ContactRecord(db.Model):
    """The structured record behind one proxy confirmation; its ledger entry holds the hashes.

    The number or account used is encrypted: it may be a phone number.
    """

    __tablename__ = "contact_records"

    id: Mapped[intpk]
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("evidence_entries.id"), unique=True)
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("members.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))  # phone / sms / wechat / paper
    contact_used: Mapped[str] = mapped_column(EncryptedString("contact.used"))
    contacted_at: Mapped[datetime]  # UTC
    member_said: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[created_at]

    def __repr__(self) -> str:
        return f"<ContactRecord {self.id} {self.method}>"
