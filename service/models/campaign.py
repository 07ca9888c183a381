"""Campaigns, each member's place in one (state and current card), and the immutable cards."""

from __future__ import annotations

import secrets
import string
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.clock import now_utc
from service.crypto import EncryptedText
from service.extensions import db
from service.models.member import Member
from service.models.org import Org
from service.schema import BigId, created_at, intpk

# A member's state in a campaign. The order is the order the admin pages list them in.
DRAFT = "draft"
PENDING = "pending"
CONFIRMED = "confirmed"
DISPUTED = "disputed"
PROXY_CONFIRMED = "proxy_confirmed"
UNREACHABLE = "unreachable"
STATE_LABELS: dict[str, str] = {
    DRAFT: "未提交",
    PENDING: "待确认",
    CONFIRMED: "已确认",
    DISPUTED: "待修改",
    PROXY_CONFIRMED: "已确认（代确认）",
    UNREACHABLE: "失联未确认",
}
SETTLED_STATES = frozenset({CONFIRMED, PROXY_CONFIRMED})

OPEN = "open"
CLOSED = "closed"

# Short links (/s/<slug>): an SMS template variable holds ~12-20 characters, the signed link ~70.
LINK_SLUG_ALPHABET = string.ascii_letters + string.digits
LINK_SLUG_LENGTH = 12  # 62**12 ≈ 3e21: not guessable, and the page limits wrong tries


def new_link_slug() -> str:
    """Return a fresh random slug for a card's short link."""
    return "".join(secrets.choice(LINK_SLUG_ALPHABET) for _ in range(LINK_SLUG_LENGTH))


class Campaign(db.Model):
    """One confirmation round over an org subtree, with a deadline and a reminder policy."""

    __tablename__ = "campaigns"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("orgs.id"), index=True)
    deadline: Mapped[date] = mapped_column(Date)
    # Filled in by the reminders issue (days, send hour, quiet hours, escalation ladder).
    reminder_policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=OPEN, index=True)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[created_at]

    org: Mapped[Org] = relationship()

    def __repr__(self) -> str:
        return f"<Campaign {self.id}>"


class Card(db.Model):
    """An immutable snapshot of a member's 16 items as sent for confirmation.

    ``content`` is the canonical JSON, encrypted because it holds the ID number and phones;
    ``sha256`` is over the plaintext, so a confirmation can be bound to exactly what was shown.
    """

    __tablename__ = "cards"

    id: Mapped[intpk]
    campaign_id: Mapped[int] = mapped_column(BigId, ForeignKey("campaigns.id"), index=True)
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("members.id"), index=True)
    content: Mapped[str] = mapped_column(EncryptedText("card.content"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    member_revision: Mapped[int]  # the Member.revision the snapshot was taken at
    short_code: Mapped[str] = mapped_column(String(8), index=True)
    # The same code while the card is outstanding; cleared when superseded, so the unique
    # index keeps codes unique among outstanding cards only and codes can be reused later.
    open_code: Mapped[str | None] = mapped_column(String(8), unique=True)
    # Random, set on insert whoever issues the card; MariaDB compares it case-insensitively,
    # so look-ups re-check the exact spelling (service.bot.pages.shortlinks).
    link_slug: Mapped[str] = mapped_column(String(16), unique=True, default=new_link_slug)
    issued_at: Mapped[created_at]
    superseded_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship()

    def __repr__(self) -> str:
        return f"<Card {self.id}>"


class CampaignMember(db.Model):
    """A member's state in one campaign and the card currently put to them."""

    __tablename__ = "campaign_members"
    __table_args__ = (UniqueConstraint("campaign_id", "member_id"),)

    id: Mapped[intpk]
    campaign_id: Mapped[int] = mapped_column(BigId, ForeignKey("campaigns.id"), index=True)
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("members.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=DRAFT, index=True)
    card_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cards.id"))
    note: Mapped[str | None] = mapped_column(Text)  # why unreachable, what the collector saw
    state_changed_at: Mapped[datetime] = mapped_column(default=now_utc)
    # Optimistic lock: two transitions racing on one member cannot both win (see workflow).
    revision: Mapped[int] = mapped_column(default=1)

    campaign: Mapped[Campaign] = relationship()
    member: Mapped[Member] = relationship()
    card: Mapped[Card | None] = relationship()

    __mapper_args__ = {"version_id_col": revision}

    def __repr__(self) -> str:
        return f"<CampaignMember {self.id} {self.state}>"
