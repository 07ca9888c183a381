"""Per-provider send rate limits shared by every worker process: one-second windows in the database.

Each provider (the channel name: "wechat_oa", "sms_aliyun", ...) may be handed at most
``NOTIFY_RATE_<PROVIDER>`` messages per second across all workers. Slots are taken from the
second's window row with one guarded UPDATE (``sent = sent + n WHERE sent + n <= limit``),
atomic on MySQL (row lock) and SQLite (serialised writers); the first taker of a second
inserts the row. A process takes slots in small blocks (a twentieth of the limit) and
spends them within that second, so a high limit costs one write per block, not per send;
slots a process took but did not use lapse with the second, so the sum never exceeds the
limit. Over the limit the sender waits for the next second, up to ``NOTIFY_RATE_MAX_WAIT``
seconds (kept short: the worker holds its claim meanwhile), then raises ``Deferred`` and the
outbox retries the message soon without counting an attempt. Statements run on their own
short connections, outside the caller's session.
"""

from __future__ import annotations

import threading
import time

from flask import current_app
from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError

from service.extensions import db
from service.models.wechat_token import SendRateWindow
from service.notify.channel import Deferred

# Messages per second. WeChat publishes daily quotas, not a rate: 50/s spreads a campaign's
# sends without slowing it. Aliyun and Tencent accept thousands per second per account
# (documented QPS 5000 and 3000); 1000/s stays below both.
DEFAULT_RATES = {"wechat_oa": 50, "wechat_mp": 50, "sms_aliyun": 1000, "sms_tencent": 1000}
DEFAULT_MAX_WAIT = 0.2
BLOCK_DIVISOR = 20
KEEP_SECONDS = 60  # windows older than this are deleted when a new one starts

_lock = threading.Lock()
_held: dict[tuple[str, str], tuple[int, int]] = {}  # (database, provider) → (window, left)


def limit_for(provider: str) -> int:
    """Return the provider's messages per second (0: unlimited)."""
    value = current_app.config.get(f"NOTIFY_RATE_{provider.upper()}")
    return int(DEFAULT_RATES.get(provider, 0) if value is None else value)


def acquire(provider: str) -> None:
    """Take one send slot for ``provider``, waiting briefly; raise Deferred if none is free."""
    limit = limit_for(provider)
    if limit <= 0:
        return
    max_wait = float(current_app.config.get("NOTIFY_RATE_MAX_WAIT", DEFAULT_MAX_WAIT))
    deadline = time.monotonic() + max_wait
    key = (str(db.engine.url), provider)
    while True:
        now = time.time()
        window = int(now)
        if _spend_held(key, window):
            return
        with _lock:
            known = _held.get(key, (0, 0))[0] == window  # we took from this window already
        taken = _take(provider, window, limit, max(1, limit // BLOCK_DIVISOR), known)
        if taken:
            with _lock:
                _held[key] = (window, taken - 1)
            return
        wait = window + 1 - now
        if time.monotonic() + wait > deadline:
            raise Deferred(f"发送速率已达上限（每秒{limit}条）", code="rate_limit",
                           # a whole second at least: MariaDB's DATETIME keeps no fraction, and
                           # a retry stored as this very second would be claimed again at once
                           retry_after=max(wait, 1.0))
        time.sleep(wait)


def _spend_held(key: tuple[str, str], window: int) -> bool:
    with _lock:
        held_window, left = _held.get(key, (0, 0))
        if held_window != window or left <= 0:
            return False
        _held[key] = (window, left - 1)
        return True


def _take(provider: str, window: int, limit: int, block: int, known: bool) -> int:
    """Take ``block`` slots of the window (or one, if fewer are left); return how many.

    A window this process has not used yet is most likely new: insert it first (one write
    per second), and only if another worker opened it already, update it.
    """
    if known:
        taken = _increment_any(provider, window, limit, block)
        if taken:
            return taken  # else full, or the row is gone: the insert below tells which
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(SendRateWindow).values(provider=provider, window=window,
                                                       sent=block))
            conn.execute(delete(SendRateWindow).where(
                SendRateWindow.provider == provider,
                SendRateWindow.window < window - KEEP_SECONDS))
        return block
    except IntegrityError:  # the window exists (full, or another worker just opened it)
        return _increment_any(provider, window, limit, block)


def _increment_any(provider: str, window: int, limit: int, block: int) -> int:
    for n in dict.fromkeys((block, 1)):
        if _increment(provider, window, limit, n):
            return n
    return 0


def _increment(provider: str, window: int, limit: int, n: int) -> bool:
    with db.engine.begin() as conn:
        return conn.execute(
            update(SendRateWindow)
            .where(SendRateWindow.provider == provider, SendRateWindow.window == window,
                   SendRateWindow.sent + n <= limit)
            .values(sent=SendRateWindow.sent + n)).rowcount == 1
