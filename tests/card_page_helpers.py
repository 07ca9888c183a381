"""Helpers for the member card page tests: a member with a card, its links, the ledger."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from service.campaign.cards import TOKEN_SALT, card_token, load_card_token
from service.extensions import db
from service.models import AuditLog, EvidenceEntry
from testkit.workflow import cm_of, started

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Carded:
    """A started campaign's first member and their card, by id and link."""

    campaign_id: int
    member_id: int
    card_id: int
    token: str
    slug: str
    name: str
    id_number: str
    mobile: str


def carded(app: Flask, members_per_branch: int = 1) -> Carded:
    """Start a campaign and return its first member's card and links."""
    with app.app_context():
        campaign, members = started(members_per_branch)
        member = members[0]
        card = cm_of(campaign.id, member.id).card
        assert card is not None
        return Carded(campaign.id, member.id, card.id, card_token(card), card.link_slug,
                      member.name, member.id_number or "", member.mobile or "")


def current(app: Flask, c: Carded) -> tuple[int, str, str]:
    """Return the member's current card id, token and state."""
    with app.app_context():
        cm = cm_of(c.campaign_id, c.member_id)
        assert cm.card is not None
        return cm.card.id, card_token(cm.card), cm.state


def redirects_to_card(app: Flask, resp: Any, card_id: int) -> bool:
    """Tell whether ``resp`` redirects to the card page of ``card_id``.

    Tokens carry the second they were signed, so the redirect's token is decoded rather than
    compared with one signed a moment earlier.
    """
    match = re.search(r"/m/([^/?#]+)", resp.headers.get("Location", ""))
    if resp.status_code != 303 or match is None:
        return False
    with app.test_request_context():
        return load_card_token(match.group(1)).id == card_id


def count(app: Flask, kind: str, card_id: int | None = None, member_id: int | None = None) -> int:
    """Return how many ledger entries of ``kind`` there are (for a card or a member)."""
    with app.app_context():
        query = select(func.count()).select_from(EvidenceEntry).where(EvidenceEntry.kind == kind)
        if card_id is not None:
            query = query.where(EvidenceEntry.card_id == card_id)
        if member_id is not None:
            query = query.where(EvidenceEntry.member_id == member_id)
        return int(db.session.scalar(query) or 0)


def entries(app: Flask, kind: str, member_id: int) -> list[dict[str, Any]]:
    """Return a member's entries of ``kind`` as plain dicts."""
    with app.app_context():
        rows = db.session.scalars(select(EvidenceEntry).where(
            EvidenceEntry.kind == kind, EvidenceEntry.member_id == member_id)
            .order_by(EvidenceEntry.seq))
        return [{"seq": e.seq, "card_id": e.card_id, "identity": e.identity, "channel": e.channel,
                 "ip": e.ip, "user_agent": e.user_agent} for e in rows]


def audits(app: Flask, action: str) -> list[AuditLog]:
    """Return the audit entries of ``action``, oldest first (detached)."""
    with app.app_context():
        rows = list(db.session.scalars(
            select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))
        db.session.expunge_all()
        return rows


def csrf_of(html: str) -> str:
    """Return the CSRF token a page's form carries."""
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found[1]


def expired_token(app: Flask, card_id: int, card_hash: str, age: int) -> str:
    """Return a correctly signed card link that was issued ``age`` seconds ago."""

    class _Past(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age

    with app.app_context():
        serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=TOKEN_SALT,
                                            signer=_Past)
        return str(serializer.dumps({"c": card_id, "h": card_hash[:16]}))
