"""One access token per WeChat app, shared by every process through the database.

WeChat's normal token endpoint invalidates a token when it issues the next one, so
processes that each fetch their own knock each other out (40001 "not latest"). Here every
process reads the one stored token; it is fetched from ``/cgi-bin/stable_token`` (which
does not invalidate on a plain call) and refreshed some minutes before it expires.

- Expiry is enforced on read: a token past ``refresh_at`` is never handed out.
- One refresher at a time: on MySQL/MariaDB the refresher holds the row with
  ``SELECT … FOR UPDATE`` across the fetch, so the others wait and then find the new token;
  SQLite has no row locks, so a guarded UPDATE takes a short lease (``refreshing_until``)
  and the others poll the row until the token changes.
- After WeChat refuses a token (40001/40014/42001) it is force-refreshed only if it is still
  the stored one (same ``generation``): ten workers failing on it cause one refresh.
Statements run on their own short connections, outside the caller's session. On SQLite a
refresh writes, so do not call this while the caller's session holds uncommitted writes.
Tokens are credentials: encrypted at rest, never logged or put in an error message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from service.clock import now_utc
from service.extensions import db
from service.models.wechat_token import WeChatToken
from service.notify.channel import Deferred

DEFAULT_MARGIN = 300.0  # refresh this many seconds before WeChat's expiry
GUARD_SECONDS = 30.0  # never use a token this close to its expiry
LEASE_SECONDS = 30.0  # SQLite refresh lease (longer than any token fetch may take)
WAIT_SECONDS = 20.0  # how long a reader waits for another process's refresh
POLL_SECONDS = 0.05

# Fetch a token from WeChat: force_refresh → (access_token, expires_in seconds).
Fetch = Callable[[bool], tuple[str, int]]


@dataclass(frozen=True)
class Token:
    """A token and the generation it was stored under (to tell a stale token from a new one)."""

    value: str
    generation: int


def current(appid: str, fetch: Fetch) -> Token:
    """Return the app's valid token, fetching a new one when none is fresh."""
    row = _read(appid)
    if row is not None and _usable(row, now_utc()):
        return Token(row.token, row.generation)
    return _refresh(appid, fetch, failed=None)


def replace(appid: str, fetch: Fetch, failed: Token) -> Token:
    """Return the token to retry with after WeChat refused ``failed``.

    Forces a new token only if ``failed`` is still the stored one; if another process has
    already replaced it, that newer token is returned without asking WeChat.
    """
    return _refresh(appid, fetch, failed=failed)


def _read(appid: str) -> Any:
    with db.engine.connect() as conn:
        return conn.execute(_columns().where(WeChatToken.appid == appid)).first()


def _columns() -> Any:
    return select(WeChatToken.token, WeChatToken.generation, WeChatToken.expires_at,
                  WeChatToken.refresh_at)


def _usable(row: Any, now: datetime) -> bool:
    return bool(row.token) and row.refresh_at is not None and now < row.refresh_at


def _satisfied(row: Any, now: datetime, failed: Token | None) -> bool:
    if not _usable(row, now):
        return False
    return failed is None or row.generation != failed.generation


def _force(row: Any, failed: Token | None) -> bool:
    return failed is not None and row.generation == failed.generation


def _refresh(appid: str, fetch: Fetch, failed: Token | None) -> Token:
    _ensure_row(appid)
    if db.engine.dialect.name == "mysql":
        return _refresh_locked(appid, fetch, failed)
    return _refresh_leased(appid, fetch, failed)


def _ensure_row(appid: str) -> None:
    if _read(appid) is not None:
        return
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(WeChatToken).values(appid=appid, generation=0,
                                                    updated_at=now_utc()))
    except IntegrityError:
        pass  # another process created it first


def _refresh_locked(appid: str, fetch: Fetch, failed: Token | None) -> Token:
    with db.engine.begin() as conn:
        row = conn.execute(
            _columns().where(WeChatToken.appid == appid).with_for_update()).one()
        if _satisfied(row, now_utc(), failed):
            return Token(row.token, row.generation)
        # Fetched under the row lock: the other processes wait here, then reuse it.
        value, ttl = fetch(_force(row, failed))
        return _store(conn, appid, row, value, ttl)


def _refresh_leased(appid: str, fetch: Fetch, failed: Token | None) -> Token:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        now = now_utc()
        row = _read(appid)
        if _satisfied(row, now, failed):
            return Token(row.token, row.generation)
        with db.engine.begin() as conn:
            leased = conn.execute(
                update(WeChatToken).where(
                    WeChatToken.appid == appid, WeChatToken.generation == row.generation,
                    or_(WeChatToken.refreshing_until.is_(None),
                        WeChatToken.refreshing_until < now))
                .values(refreshing_until=now + timedelta(seconds=LEASE_SECONDS))).rowcount == 1
        if leased:
            try:
                value, ttl = fetch(_force(row, failed))
            except BaseException:
                with db.engine.begin() as conn:
                    conn.execute(update(WeChatToken).where(WeChatToken.appid == appid)
                                 .values(refreshing_until=None))
                raise
            with db.engine.begin() as conn:
                return _store(conn, appid, row, value, ttl)
        if time.monotonic() > deadline:
            raise Deferred("等待刷新微信接口凭证超时", code="token_busy", retry_after=10.0)
        time.sleep(POLL_SECONDS)


def _store(conn: Any, appid: str, row: Any, value: str, ttl: int) -> Token:
    now = now_utc()
    expires_at = now + timedelta(seconds=max(0, int(ttl)))
    margin = float(current_app.config.get("WECHAT_TOKEN_MARGIN", DEFAULT_MARGIN))
    same = value == row.token
    if same or ttl <= margin:
        # WeChat handed back a token near its end (stable_token keeps returning the current
        # one until it expires): use it almost to the end instead of asking again per read.
        refresh_at = expires_at - timedelta(seconds=min(GUARD_SECONDS, ttl / 2))
    else:
        refresh_at = expires_at - timedelta(seconds=margin)
    generation = row.generation if same else row.generation + 1
    conn.execute(update(WeChatToken).where(WeChatToken.appid == appid)
                 .values(token=value, generation=generation, expires_at=expires_at,
                         refresh_at=refresh_at, refreshing_until=None, updated_at=now))
    return Token(value, generation)
