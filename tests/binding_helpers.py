"""Helpers for the binding, verify and OAuth page tests: form tokens, sent codes, paths."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from service.extensions import db
from service.models import OutboxMessage
from service.models.outbox import OTP
from service.notify.messages import compose


def path_of(url: str) -> str:
    """Return the path (and query) of an absolute link we handed out."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def csrf_of(page: bytes) -> str:
    """Return the form token a member page carries."""
    match = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert match, "no form token on the page"
    return match[1].decode()


def last_code(member_id: int) -> str:
    """Return the code in the latest one-time-code SMS queued for a member."""
    db.session.expire_all()
    row = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == OTP, OutboxMessage.member_id == member_id)
        .order_by(OutboxMessage.id.desc()).limit(1))
    assert row is not None, "no code was queued"
    return compose(row).params["code"]


def codes_queued(member_id: int | None = None) -> int:
    """Return how many one-time-code SMS are queued (for one member, or in all)."""
    db.session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.kind == OTP)
    if member_id is not None:
        query = query.where(OutboxMessage.member_id == member_id)
    return len(db.session.scalars(query).all())


def wrong(code: str) -> str:
    """Return a six-digit code that is not ``code``."""
    return f"{(int(code) + 1) % 10**6:06d}"


def text(response: Any) -> str:
    """Return a response body as text."""
    return str(response.get_data(as_text=True))
