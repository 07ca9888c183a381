"""The addresses members reach us at: the public origin, a card's short link, its dispute form.

Low on purpose: notify writes these links into messages and the member-facing doors redirect
to them, so both import them from here. Needs only the app's config.
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlsplit

from flask import current_app

DEFAULT_BASE_URL = "http://127.0.0.1:5000"


class Slugged(Protocol):
    """A card, or any row carrying its ``link_slug`` (the dispatcher reads plain rows)."""

    @property
    def link_slug(self) -> str: ...


def public_base() -> str:
    """Return the public address members reach us at (PUBLIC_BASE_URL), no trailing slash."""
    return str(current_app.config.get("PUBLIC_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def card_link(card: Slugged) -> str:
    """Return the member's short link for ``card`` (/s/<slug>, opens the card page).

    Short, so it fits an SMS template variable; service.bot.pages.card resolves it.
    """
    return f"{public_base()}/s/{card.link_slug}"


def card_path(card: Slugged) -> str:
    """Return the site-relative path of the member's link for ``card`` (for redirects)."""
    return urlsplit(card_link(card)).path


def dispute_link(card: Slugged) -> str:
    """Return the page where the member says which fields of ``card`` are wrong."""
    return f"{card_link(card)}/dispute"
