"""Short card links (/s/<slug>): find the card a slug names, and slow down anyone guessing.

A slug is 12 random letters and digits set on each card when it is issued
(``Card.link_slug``); it is short enough for an SMS template variable and cannot be guessed.
Whoever tries many wrong slugs from one address is told politely to wait: past the limit,
every slug (right or wrong) is refused for that address until the window has passed, so
the refusal itself tells a guesser nothing.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from service.clock import now_utc
from service.extensions import db
from service.models import Card

_SLUG = re.compile(r"[A-Za-z0-9]{10,16}")
_MAX_TRACKED = 10_000  # addresses remembered at once; the oldest are dropped past this


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


class MissLimiter:
    """Count wrong slugs per address in a sliding window (this process only)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._misses: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, address: str) -> bool:
        """Return whether ``address`` has used up its wrong tries for now."""
        with self._lock:
            return len(self._recent(address)) >= self.limit

    def miss(self, address: str) -> None:
        """Count one wrong slug from ``address``."""
        with self._lock:
            if address not in self._misses and len(self._misses) >= _MAX_TRACKED:
                self._misses.pop(next(iter(self._misses)))
            self._misses.setdefault(address, deque()).append(time.monotonic())

    def _recent(self, address: str) -> deque[float]:
        stamps = self._misses.get(address, deque())
        cutoff = time.monotonic() - self.window
        while stamps and stamps[0] < cutoff:
            stamps.popleft()
        if not stamps:
            self._misses.pop(address, None)
        return stamps


def limiter() -> MissLimiter:
    """Return this app's limiter, made on first use from the MEMBER_LINK_MISS_* settings."""
    ext = current_app.extensions
    if "member_link_limiter" not in ext:
        ext["member_link_limiter"] = MissLimiter(
            int(current_app.config["MEMBER_LINK_MISS_LIMIT"]),
            float(current_app.config["MEMBER_LINK_MISS_WINDOW"]),
        )
    return ext["member_link_limiter"]  # type: ignore[no-any-return]
