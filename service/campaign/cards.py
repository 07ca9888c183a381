"""Cards: the canonical snapshot of a member's 16 items, its hash, SMS code and signed link."""

from __future__ import annotations

import json
import secrets
from datetime import date
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from service.clock import now_utc
from service.errors import NotFound, ServiceError
from service.evidence.canonical import canonical_hash, canonical_json
from service.extensions import db
from service.models import CampaignMember, Card, Member
from service.roster.members import member_record

SNAPSHOT_VERSION = 1
# No 0/O, 1/I/L: an elderly member types this code into an SMS reply.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
TOKEN_SALT = "card-link"
TOKEN_MAX_AGE = 60 * 24 * 3600  # a campaign runs for weeks; the card's hash check does the rest


def snapshot(member: Member, campaign_id: int) -> dict[str, Any]:
    """Return the card content for ``member`` now: the 16 items as JSON-safe canonical values."""
    record = member_record(member)
    items = {k: v.isoformat() if isinstance(v, date) else v for k, v in record.items()}
    return {"v": SNAPSHOT_VERSION, "campaign": campaign_id, "member": member.id, "items": items}


def current_hash(member: Member, campaign_id: int) -> str:
    """Return the hash a card of the member's record would have now."""
    return canonical_hash(snapshot(member, campaign_id))


def issue_card(cm: CampaignMember) -> Card:
    """Supersede the member's outstanding card, if any, and make ``cm`` point at a new one."""
    db.session.flush()  # the member's pending changes must be in the revision we snapshot
    member = cm.member
    content = snapshot(member, cm.campaign_id)
    if cm.card is not None:
        supersede(cm.card)
    code = _new_code()
    card = Card(
        campaign_id=cm.campaign_id, member_id=member.id, content=canonical_json(content),
        sha256=canonical_hash(content), member_revision=member.revision,
        short_code=code, open_code=code,
    )
    db.session.add(card)
    db.session.flush()
    cm.card = card
    return card


def supersede(card: Card) -> None:
    """Mark ``card`` as no longer current and free its short code."""
    card.superseded_at = now_utc()
    card.open_code = None
    db.session.flush()  # free the code before a new card may draw it


def card_content(card: Card) -> dict[str, Any]:
    """Return the snapshot a card holds."""
    return json.loads(card.content)


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        # A racing transaction may draw the same code; the unique index refuses the second.
        if db.session.scalar(select(Card.id).where(Card.open_code == code)) is None:
            return code


def find_card_by_code(code: str) -> Card:
    """Return the outstanding card with this short code (as typed in an SMS), or refuse."""
    code = code.strip().upper()
    card = db.session.scalar(select(Card).where(Card.open_code == code))
    if card is None:
        raise NotFound(f"确认码“{code[:8]}”无效或已过期，请以最新收到的信息为准")
    return card


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def card_token(card: Card) -> str:
    """Return a signed token naming ``card`` for the member's link."""
    return str(_serializer().dumps({"c": card.id, "h": card.sha256[:16]}))


class LinkExpired(ServiceError):
    """A genuine member link older than it may be."""


def load_card_token(token: str, max_age: int = TOKEN_MAX_AGE) -> Card:
    """Return the card a signed link names, or refuse a forged, altered or expired link."""
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkExpired("链接已过期，请以最新收到的信息为准") from exc
    except BadSignature as exc:
        raise ServiceError("链接无效") from exc
    card = db.session.get(Card, int(data["c"]))
    if card is None or card.sha256[:16] != data["h"]:
        raise ServiceError("链接无效")
    return card
