"""Record each provider push once and keep what became of it (handled, queued for a person, ...).

The unique (source, dedupe_key) index is the lock: the row is inserted (and flushed) before
the push is acted on, in the same transaction. A provider retry racing the first delivery
blocks on that index until the first commits, then fails with IntegrityError; the edge's
``run_unit`` rolls it back and runs again, and this time finds the row and does nothing.
Nothing here commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from service.extensions import db
from service.models import InboxMessage
from service.models.inbox import HANDLED

REPLIED = "已回复："  # a handled row's note starts with this when we answered the member


@dataclass(frozen=True)
class Outcome:
    """What handling a push did: the inbox status and note, who it was from, what to answer."""

    status: str = HANDLED
    note: str | None = None
    member_id: int | None = None
    org_id: int | None = None
    reply: str | None = None


def find(source: str, dedupe_key: str) -> InboxMessage | None:
    """Return the push already recorded under this key, if any."""
    return db.session.scalar(select(InboxMessage).where(
        InboxMessage.source == source, InboxMessage.dedupe_key == dedupe_key))


def record_once(
    source: str, dedupe_key: str, *, kind: str, raw: str, sender_bidx: str | None,
    handle: Callable[[], Outcome],
) -> tuple[InboxMessage, Outcome | None]:
    """Insert the push and act on it with ``handle``, or return the earlier row unchanged.

    Return the row and the outcome, which is None when the push had been recorded before.
    """
    if len(dedupe_key) > 191:  # a pushed field past any sane length: distinct keys stay so
        dedupe_key = f"{dedupe_key[:100]}:sha256:{hashlib.sha256(dedupe_key.encode()).hexdigest()}"
    existing = find(source, dedupe_key)
    if existing is not None:
        return existing, None
    row = InboxMessage(source=source, dedupe_key=dedupe_key, kind=kind[:32], raw=raw,
                       sender_bidx=sender_bidx, status=HANDLED)
    db.session.add(row)
    db.session.flush()  # a racing twin stops here (IntegrityError → run_unit retries)
    outcome = handle()
    row.status = outcome.status
    row.member_id = outcome.member_id
    row.org_id = outcome.org_id
    row.note = outcome.note
    if outcome.reply and not outcome.note and "://" not in outcome.reply:
        # Kept so a retry gets the same answer; never a reply holding a link (bearer tokens
        # stay out of plaintext columns).
        row.note = REPLIED + outcome.reply
    db.session.flush()
    return row, outcome


def earlier_reply(row: InboxMessage) -> str | None:
    """Return what we answered the first time this push came, to answer a retry the same."""
    if row.note and row.note.startswith(REPLIED):
        return row.note[len(REPLIED):]
    return None
