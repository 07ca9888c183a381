"""Server-side admin sessions: start at sign-in, look up per request, end at sign-out.

The Flask session cookie (signed, HttpOnly, SameSite=Lax, Secure outside debug/tests) holds
only a random token; the ``admin_sessions`` row holds its SHA-256, the idle and absolute
limits, and whether it was ended. Signing out therefore really ends the session, even for a
copied cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import partial

from flask import current_app, request, session
from sqlalchemy import select, update

from service.clock import now_utc
from service.extensions import db
from service.models import AdminSession, AdminUser
from service.unit_of_work import run_unit

TOKEN_KEY = "admin_token"
_REFRESH = timedelta(minutes=1)  # write last_seen_at at most once a minute per session


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def client_ip() -> str | None:
    """Return the caller's address (set ProxyFix in front of a proxy so this is the client)."""
    return request.remote_addr


def new_token() -> str:
    """Return a fresh random session token (its hash goes in the row, itself in the cookie)."""
    return secrets.token_urlsafe(32)


def start(user: AdminUser, token: str, *, ip: str | None, user_agent: str | None
          ) -> AdminSession:
    """Open a session for ``user`` under ``token`` (``remember`` puts it in the cookie)."""
    now = now_utc()
    row = AdminSession(
        token_hash=_hash(token), user_id=user.id, last_seen_at=now,
        expires_at=now + timedelta(hours=current_app.config["ADMIN_SESSION_MAX_HOURS"]),
        ip=ip, user_agent=(user_agent or "")[:255] or None,
    )
    db.session.add(row)
    return row


def remember(token: str) -> None:
    """Put ``token`` in a fresh cookie (nothing of the old cookie survives: no fixation)."""
    session.clear()
    session[TOKEN_KEY] = token


def forget() -> None:
    """Clear the cookie's admin keys (after ``end``)."""
    session.clear()


def lookup() -> AdminSession | None:
    """Return the live session of this request's cookie, refreshing its idle clock."""
    token = session.get(TOKEN_KEY)
    if not isinstance(token, str):
        return None
    row = db.session.scalar(select(AdminSession).where(AdminSession.token_hash == _hash(token)))
    now = now_utc()
    idle = timedelta(minutes=current_app.config["ADMIN_SESSION_IDLE_MINUTES"])
    if (row is None or row.ended_at is not None or row.expires_at <= now
            or row.last_seen_at + idle <= now or not row.user.is_active):
        session.pop(TOKEN_KEY, None)
        return None
    if now - row.last_seen_at >= _REFRESH:
        # Its own small unit before the request's work, so a failed request keeps the refresh.
        run_unit(partial(_touch, row.id, now))
    return row


def _touch(session_id: int, now: datetime) -> None:
    db.session.execute(update(AdminSession).where(AdminSession.id == session_id)
                       .values(last_seen_at=now))


def end(row: AdminSession) -> None:
    """End ``row`` if it is still open (``forget`` then clears the cookie)."""
    if row.ended_at is None:
        row.ended_at = now_utc()


def end_all(user: AdminUser) -> int:
    """End every live session of ``user`` (deactivation, password reset); return how many."""
    result = db.session.execute(
        update(AdminSession).where(AdminSession.user_id == user.id,
                                   AdminSession.ended_at.is_(None))
        .values(ended_at=now_utc())
    )
    return int(getattr(result, "rowcount", 0) or 0)
