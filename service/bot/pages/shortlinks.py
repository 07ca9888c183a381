"""Short card links (/s/<slug>): find the card a slug names, and slow down anyone guessing.

A slug is 12 random letters and digits set on each card when it is issued
(``Card.link_slug``); it is short enough for an SMS template variable and cannot be guessed.
Whoever tries many wrong slugs from one address is told politely to wait: past the limit,
every slug (right or wrong) is refused for that address until the window has passed, so
the refusal itself tells a guesser nothing. The misses count in the database throttle
("slug-miss:<address>"), so the limit holds across every web process.
"""

from __future__ import annotations

import re
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from service import throttle
from service.clock import now_utc
from service.extensions import db
from service.models import Card

_SLUG = re.compile(r"[A-Za-z0-9]{10,16}")


def find_card(slug: str) -> Card | None:
    """Return the card whose short link is ``slug`` (exact spelling), or None."""
    if not _SLUG.fullmatch(slug):
        return None
    card = db.session.scalar(select(Card).where(Card.link_slug == slug))
    # MariaDB's collation matches regardless of case; the link must match exactly.
    return card if card is not None and card.link_slug == slug else None


def expired(card: Card) -> bool:
    """Return whether the card is older than a member link may be."""
    max_age = int(current_app.config["MEMBER_LINK_MAX_AGE"])
    return card.issued_at < now_utc() - timedelta(seconds=max_age)


def _miss_key(address: str) -> str:
    return f"slug-miss:{address}"


def _miss_limit() -> throttle.Limit:
    window = timedelta(seconds=float(current_app.config["MEMBER_LINK_MISS_WINDOW"]))
    return throttle.Limit(failures=int(current_app.config["MEMBER_LINK_MISS_LIMIT"]),
                          lock=window, window=window)


def blocked(address: str) -> bool:
    """Return whether ``address`` has used up its wrong tries for now."""
    return throttle.locked_until(_miss_key(address)) is not None


def miss(address: str) -> None:
    """Count one wrong slug from ``address`` (the edge commits it)."""
    throttle.fail(_miss_key(address), _miss_limit())
