"""Outbox use cases: enqueue in the caller's transaction, claim with a lease, record outcomes.

Claiming is safe with any number of worker processes:
- MySQL/MariaDB/TiDB: ``SELECT … FOR UPDATE SKIP LOCKED`` picks rows no other transaction
  holds, and the UPDATE that marks them ``sending`` runs under those row locks.
- SQLite has no row locks and no FOR UPDATE, but it serialises writers: the claim is one
  ``UPDATE … WHERE id IN (SELECT … claimable … LIMIT n)`` statement, evaluated while holding
  the database write lock, so two workers can never both flip the same row. Each claim
  stamps a fresh token in ``claimed_by`` and reads back the rows carrying it.
A claim is a lease (``claimed_until``): a worker killed mid-send loses its rows when the
lease runs out and another worker takes them again; ``attempts`` counts claims, so a
message that crashes every worker still ends up ``dead`` instead of looping for ever.
Nothing here commits: the dispatcher (the worker's edge) does.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, bindparam, case, func, or_, select, update

from service.clock import now_utc, to_local
from service.evidence import ledger
from service.extensions import db
from service.models import Card, EvidenceEntry, OutboxMessage
from service.models.outbox import (
    CANCELLED,
    CARD,
    DEAD,
    DELIVERED,
    FAILED,
    NOTICE,
    PENDING,
    REMINDER,
    SENDING,
    SENT,
)
from service.notify.channel import SendError, SendResult
from service.notify.outbox_admin import counts  # noqa: F401 (outbox.counts: the old home)

DEFAULTS = {"NOTIFY_MAX_ATTEMPTS": 6, "NOTIFY_BACKOFF_SECONDS": 30.0,
            "NOTIFY_BACKOFF_CAP_SECONDS": 3600.0, "NOTIFY_LEASE_SECONDS": 60.0,
            "NOTIFY_QUIET_HOURS": "21-8"}
DONE = (SENT, DELIVERED)
# Messages that ask a member to act: never sent in quiet hours, whatever queued them when.
MEMBER_PROMPTS = (CARD, REMINDER)
# A delivery receipt proves a send from any of these (a crash or a lost answer left them so);
# a pending row qualifies only once it was tried (``attempts`` > 0).
RECEIPTABLE = (SENDING, SENT, DEAD)


def setting(name: str) -> Any:
    """Return an outbox setting from the app config, or its default."""
    return current_app.config.get(name, DEFAULTS[name])


def enqueue(
    kind: str, *, channel: str, key: str, member_id: int | None = None,
    card_id: int | None = None, campaign_member_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboxMessage:
    """Add a message to send, or return the one already queued under ``key``.

    Call inside the transaction that made the decision. Two racing enqueues of one key meet
    at the unique index; the loser's unit is retried by ``run_unit`` and finds the row.
    """
    existing = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    if existing is not None:
        return existing
    row = OutboxMessage(
        idempotency_key=key, kind=kind, channel=channel, member_id=member_id, card_id=card_id,
        campaign_member_id=campaign_member_id, payload=payload or {}, state=PENDING,
        attempts=0, next_attempt_at=now_utc(),
    )
    db.session.add(row)
    db.session.flush()
    return row


@dataclass(frozen=True)
class Claim:
    """A worker's lease on some rows: ``token`` is stamped in their ``claimed_by``."""

    token: str
    ids: list[int]
    until: datetime  # the lease ends then: the worker must not start a send after it


def claim(batch: int, worker_id: str, lease_seconds: float | None = None) -> list[int]:
    """Lease up to ``batch`` due messages to this worker; return their ids (commit next)."""
    return claim_batch(batch, worker_id, lease_seconds).ids


def claim_batch(batch: int, worker_id: str, lease_seconds: float | None = None) -> Claim:
    """Lease up to ``batch`` due messages to this worker; return the lease (commit next)."""
    now = now_utc()
    lease = timedelta(seconds=lease_seconds or setting("NOTIFY_LEASE_SECONDS"))
    until = now + lease
    token = f"{worker_id[:40]}:{uuid.uuid4().hex[:12]}"
    due = or_(
        and_(OutboxMessage.state == PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.state == SENDING, OutboxMessage.claimed_until < now),
    )
    if quiet_now(now):  # cards and reminders wait for the morning; codes a member asked for go
        due = and_(due, OutboxMessage.kind.not_in(MEMBER_PROMPTS))
    values = {"state": SENDING, "claimed_by": token, "claimed_until": until,
              "attempts": OutboxMessage.attempts + 1, "updated_at": now}
    pick = select(OutboxMessage.id).where(due).order_by(OutboxMessage.id).limit(batch)
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(pick.scalar_subquery()))
            .values(**values).execution_options(synchronize_session=False))
        return Claim(token, list(db.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.claimed_by == token,
                                           OutboxMessage.state == SENDING)
            .order_by(OutboxMessage.id))), until)
    ids = list(db.session.scalars(pick.with_for_update(skip_locked=True)))
    if ids:
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(**values)
            .execution_options(synchronize_session=False))
    return Claim(token, ids, until)


def release(row_ids: Sequence[int], token: str) -> int:
    """Give back claimed rows this worker never sent (it is stopping): due again at once."""
    if not row_ids:
        return 0
    now = now_utc()
    return db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(row_ids), OutboxMessage.state == SENDING,
                                    OutboxMessage.claimed_by == token)
        .values(state=PENDING, claimed_by=None, claimed_until=None, next_attempt_at=now,
                attempts=OutboxMessage.attempts - 1, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount


def mark_sent(row_id: int, result: SendResult) -> bool:
    """Record that the provider accepted the message, with one "sent" evidence entry.

    Whoever sent it (even a worker whose lease was taken over), the first success wins: the
    guarded UPDATE lets exactly one transaction move the row to ``sent``, and only that one
    writes the evidence. Return whether this call did it.
    """
    return bool(mark_sent_many([(row_id, result)]))


def mark_sent_many(sent: Sequence[tuple[int, SendResult]]) -> list[int]:
    """Record a batch of provider acceptances; return the ids this call moved to ``sent``.

    One guarded UPDATE moves every row not yet sent or delivered and stamps it with a marker
    only this transaction knows; reading the marker back names exactly the rows it moved (the
    UPDATE holds their row locks on MySQL, the write lock on SQLite, until commit). Only
    those get a "sent" entry, appended to the ledger in one go.
    """
    if not sent:
        return []
    now = now_utc()
    marker = f"sent:{uuid.uuid4().hex}"
    results = dict(sent)
    ids = sorted(results)
    _mark_sent(ids, {i: results[i].provider_msg_id for i in ids}, marker, now)
    moved = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.channel,
               OutboxMessage.provider_msg_id, OutboxMessage.idempotency_key,
               Card.id.label("card_id"), Card.member_id, Card.sha256)
        .outerjoin(Card, Card.id == OutboxMessage.card_id)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == marker)
        .order_by(OutboxMessage.id)).all()
    if not moved:
        return []
    moved_ids = [row.id for row in moved]
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(moved_ids))
                       .values(claimed_by=None).execution_options(synchronize_session=False))
    _sent_evidence([r for r in moved if r.kind != NOTICE and r.card_id is not None],
                   {i for i in moved_ids if results[i].raw.get("reconciled")})
    return moved_ids


def _mark_sent(ids: list[int], provider_ids: dict[int, str | None], marker: str,
               now: datetime) -> None:
    # Move the rows not yet sent or delivered, each with its own provider id. SQLite runs in
    # this process: one cached statement executed per row is cheapest. A server is a round
    # trip away (and PyMySQL sends an executemany UPDATE row by row): one statement, a CASE.
    values = {"state": SENT, "sent_at": now, "claimed_by": marker, "claimed_until": None,
              "last_error": None, "updated_at": now}
    table = OutboxMessage.__table__
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            update(table).where(table.c.id == bindparam("row_id"),  # (no IN: executemany)
                                *(table.c.state != done for done in DONE))
            .values(provider_msg_id=bindparam("msg_id"), **values),
            [{"row_id": i, "msg_id": provider_ids[i]} for i in ids])
        return
    db.session.execute(
        update(table).where(table.c.id.in_(ids), table.c.state.not_in(DONE))
        .values(provider_msg_id=case(provider_ids, value=table.c.id), **values))


def mark_delivered(row_id: int, *, payload: bytes | None = None,
                   provider_msg_id: str | None = None) -> bool:
    """Record the provider's delivery receipt for a message, once.

    A receipt can beat the sender's own record: a worker that died after the provider took
    the message leaves the row ``sending`` (or ``pending``/``dead`` after a lost answer). The
    receipt proves it went out, so the row moves straight to ``delivered`` with its "sent"
    entry (once, by key) and then the "delivered" one; the late sender's ``mark_sent`` then
    finds the row done and writes nothing. Rows a fallback replaced (``failed``) stay so.
    """
    now = now_utc()
    moved = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, or_(
            OutboxMessage.state.in_(RECEIPTABLE),
            and_(OutboxMessage.state == PENDING, OutboxMessage.attempts > 0)))
        .values(state=DELIVERED, delivered_at=now,
                sent_at=func.coalesce(OutboxMessage.sent_at, now),
                provider_msg_id=func.coalesce(OutboxMessage.provider_msg_id, provider_msg_id),
                claimed_by=None, claimed_until=None, updated_at=now)
        .execution_options(synchronize_session=False))
    if moved.rowcount == 0:
        return False
    row = db.session.get(OutboxMessage, row_id, populate_existing=True)
    assert row is not None
    _evidence(row, ledger.CARD_SENT, f"sent:{row.id}")  # nothing new if it was recorded
    _evidence(row, ledger.DELIVERED, f"delivered:{row.id}", payload=payload)
    return True


def mark_retry(row_id: int, token: str, error: SendError, *, retry_after: float | None = None,
               count_attempt: bool = True) -> str:
    """Put a failed message back for a later try with backoff, or park it once exhausted.

    ``count_attempt`` False (quota, rate limit) gives the claim back: waiting for a quota
    is not a failure of the message. Return the state the row ends in.
    """
    row = _claimed(row_id, token)
    if row is None:
        return "gone"
    if not count_attempt:
        row.attempts = max(0, row.attempts - 1)
    if row.attempts >= int(setting("NOTIFY_MAX_ATTEMPTS")):
        return mark_dead(row_id, token, error)
    delay = retry_after if retry_after is not None else backoff(row.attempts)
    row.state, row.claimed_by, row.claimed_until = PENDING, None, None
    row.next_attempt_at = now_utc() + timedelta(seconds=delay)
    row.last_error = describe(error)
    db.session.flush()
    return PENDING


def mark_dead(row_id: int, token: str, error: SendError) -> str:
    """Park a message no retry will send; the admin pages list these."""
    return _close(row_id, token, DEAD, error)


def mark_cancelled(row_id: int, token: str, error: SendError) -> str:
    """Close a claimed message that is no longer worth sending (the member already answered)."""
    return _close(row_id, token, CANCELLED, error)


def _close(row_id: int, token: str, state: str, error: SendError) -> str:
    row = _claimed(row_id, token)
    if row is None:
        return "gone"
    row.state, row.claimed_by, row.claimed_until = state, None, None
    row.last_error = describe(error)
    db.session.flush()
    return state


def quiet_now(moment: datetime | None = None) -> bool:
    """Return whether it is now inside NOTIFY_QUIET_HOURS (Asia/Shanghai), e.g. "21-8"."""
    raw = str(setting("NOTIFY_QUIET_HOURS") or "").strip()
    if not raw:
        return False
    start, end = (int(part) for part in raw.split("-", 1))
    hour = to_local(moment or now_utc()).hour
    return (start <= hour or hour < end) if start > end else start <= hour < end


def fall_back(
    row_id: int, token: str, error: SendError, next_channel: str,
) -> OutboxMessage | None:
    """Close this row as unreachable by its channel and queue the same message on the next."""
    row = _claimed(row_id, token)
    if row is None:
        return None
    row.state, row.claimed_by, row.claimed_until = FAILED, None, None
    row.last_error = describe(error)
    base = row.idempotency_key.split(":fb:")[0]
    return enqueue(row.kind, channel=next_channel, key=f"{base}:fb:{next_channel}",
                   member_id=row.member_id, card_id=row.card_id,
                   campaign_member_id=row.campaign_member_id, payload=dict(row.payload))


def backoff(attempts: int) -> float:
    """Return seconds to wait after the ``attempts``-th failed try: doubling, capped, jittered."""
    base = float(setting("NOTIFY_BACKOFF_SECONDS")) * 2 ** max(0, attempts - 1)
    return min(base, float(setting("NOTIFY_BACKOFF_CAP_SECONDS"))) * random.uniform(0.8, 1.0)


def describe(error: SendError) -> str:
    """Return the error as stored for admins (provider code and Chinese reason)."""
    text = f"[{error.code}] {error.message}" if error.code else error.message
    return text[:255]


def _claimed(row_id: int, token: str) -> OutboxMessage | None:
    # Only the claim holder records a failure: if the lease ran out and another worker took
    # the row (or already sent it), that worker's outcome stands.
    row = db.session.get(OutboxMessage, row_id, populate_existing=True)
    if row is None or row.state != SENDING or row.claimed_by != token:
        return None
    return row


def _evidence(row: OutboxMessage, kind: str, key: str, payload: bytes | None = None) -> None:
    if row.kind == NOTICE or row.card_id is None:
        return  # notices to admins are not facts about a member's card
    card = db.session.get(Card, row.card_id)
    assert card is not None
    ledger.record_event(
        kind, card, actor=f"outbox:{row.channel}", channel=row.channel,
        provider_msg_id=row.provider_msg_id, payload=payload, idempotency_key=key,
        data={"outbox": row.id, "message": row.kind, "key": row.idempotency_key},
    )


def _sent_evidence(rows: Sequence[Any], reconciled: set[int]) -> None:
    # The bulk twin of _evidence for "sent": the same entries, in row order, appended with
    # one head update; a key already in the ledger (a receipt got there first) is skipped.
    keys = [f"sent:{r.id}" for r in rows]
    if not keys:
        return
    done = set(db.session.scalars(
        select(EvidenceEntry.idempotency_key).where(EvidenceEntry.idempotency_key.in_(keys))))
    facts = []
    for row, key in zip(rows, keys, strict=True):
        if key in done:
            continue
        data: dict[str, Any] = {"outbox": row.id, "message": row.kind,
                                "key": row.idempotency_key}
        if row.id in reconciled:
            data["reconciled"] = True  # found in the provider's records, not sent again
        facts.append(ledger.Fact(
            ledger.CARD_SENT, f"outbox:{row.channel}", member_id=row.member_id,
            card_id=row.card_id, card_hash=row.sha256, channel=row.channel,
            provider_msg_id=row.provider_msg_id, data=data, idempotency_key=key))
    ledger.append_many(facts)
