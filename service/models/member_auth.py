"""Proving a member is who they say: one-time SMS codes (their lockouts are ``Throttle`` rows).

Codes live in the database so every web worker sees the same codes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import db
from service.schema import BigId, created_at, intpk

# What a code unlocks.
VERIFY = "verify"  # the card page: show the member's full record
BIND = "bind"  # binding a WeChat openid to the member


class OtpCode(db.Model):
    """One 6-digit code sent to a member's phone on record; only its keyed hash is kept.

    ``context`` ties the code to what it was asked for ("verify", or the channel and openid
    being bound), so a code asked for one purpose cannot be spent on another. ``phone_bidx``
    is the blind index of the number it went to: the hourly send limit counts per phone.
    """

    __tablename__ = "otp_codes"
    __table_args__ = (
        Index("ix_otp_codes_phone_sent", "phone_bidx", "created_at"),
        Index("ix_otp_codes_lookup", "member_id", "purpose", "context"),
    )

    id: Mapped[intpk]
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("members.id"))
    phone_bidx: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(16))
    context: Mapped[str] = mapped_column(String(128))
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)  # wrong entries against this code
    used_at: Mapped[datetime | None]  # spent (or killed by a lockout): never accepted again
    created_at: Mapped[created_at]

    def __repr__(self) -> str:
        return f"<OtpCode {self.id} {self.purpose}>"  # never the code or the phone
