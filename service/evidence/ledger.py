"""The evidence ledger: append hash-chained entries in the caller's transaction, and find them.

Sequencing: every append first runs ``UPDATE evidence_head SET seq = seq + 1`` on the single
head row and only then reads it back. The UPDATE takes the row lock on MySQL/MariaDB/TiDB (held
to commit) and the database write lock on SQLite, so appenders queue on it and each reads the
head its predecessor committed: no gaps, no forks, no SELECT … FOR UPDATE (whose SQLite
spelling does not exist), and nothing MySQL-only. The unique seq and entry_hash columns are the
backstop; a losing racer gets an IntegrityError and the edge's retry runs the unit again.
The head row also lets verification notice a deleted last entry. Each entry and the head are
sealed under the chain key (service.evidence.seal) so that only this app can extend the chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from service.clock import now_utc
from service.evidence import blobs, seal
from service.evidence.canonical import canonical_json, sha256_hex
from service.extensions import db
from service.models import Attachment, Card, EvidenceEntry, EvidenceHead
from service.models.evidence import GENESIS_HASH

# Version 2 adds the idempotency key to the body, so every column a reader uses is hashed;
# version 1 entries (written before) still verify, their key column alone unproven.
ENTRY_VERSION = 2
HEAD_ID = 1

# What counts as evidence of a member's answer and of how it reached them, plus card_issued so
# the chain holds the hash of every card put to a member.
# Their Chinese names are in service.labels.
CARD_ISSUED = "card_issued"
CARD_SENT = "card_sent"
DELIVERED = "delivered"
OPENED = "opened"
CONFIRMED = "confirmed"
DISPUTED = "disputed"
PROXY_CONFIRMED = "proxy_confirmed"
ATTACHMENT = "attachment"
BINDING = "binding"
CONSENT = "consent"


def evidence_id(seq: int) -> str:
    """Return the printed id of the entry with this sequence number."""
    return f"E{seq:06d}"


@dataclass(frozen=True)
class Fact:
    """One entry to append in bulk (``append_many``): ``append``'s arguments, card as id+hash."""

    kind: str
    actor: str
    member_id: int | None = None
    card_id: int | None = None
    card_hash: str | None = None
    channel: str | None = None
    provider_msg_id: str | None = None
    identity: str | None = None
    payload: bytes | None = None
    ip: str | None = None
    user_agent: str | None = None
    data: dict[str, Any] | None = None
    idempotency_key: str | None = None


def append(
    kind: str,
    *,
    actor: str,
    member_id: int | None = None,
    card: Card | None = None,
    channel: str | None = None,
    provider_msg_id: str | None = None,
    identity: str | None = None,
    payload: bytes | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    attachments: Iterable[Attachment] = (),
    data: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> EvidenceEntry:
    """Add the next entry; the caller's commit makes it durable with the fact it proves.

    ``payload`` is the raw inbound message: it is stored as a blob and only its hash goes in.
    ``data`` holds kind-specific facts and must not contain full ID numbers or phones.
    """
    atts = list(attachments)
    fact = Fact(kind, actor, member_id, card.id if card else None, card.sha256 if card else None,
                channel, provider_msg_id, identity, payload, ip, user_agent, data,
                idempotency_key)
    db.session.flush()  # the transition this proves takes its locks before the head's
    seq, prev = _advance_head()
    entry = EvidenceEntry(**_columns(fact, seq, prev, now_utc().replace(microsecond=0), atts))
    db.session.add(entry)
    db.session.flush()
    _move_head(seq, entry.entry_hash)
    for att in atts:
        att.entry_id = entry.id
    return entry


def append_many(facts: Sequence[Fact]) -> list[int]:
    """Append several entries with one head update; return their sequence numbers.

    The chain is exactly what appending them one by one in this order would give (each
    entry's ``prev`` is the one before it; the head ends on the last): the head's ``seq``
    moves by ``len(facts)`` in one ``UPDATE``, which serialises this batch against other
    appenders as a single append does. Attachments are not taken here (use ``append``).
    """
    if not facts:
        return []
    db.session.flush()
    last, prev = _advance_head(len(facts))
    first = last - len(facts) + 1
    at = now_utc().replace(microsecond=0)
    rows = []
    for offset, fact in enumerate(facts):
        row = _columns(fact, first + offset, prev, at, [])
        rows.append(row)
        prev = row["entry_hash"]
    # A Core executemany: the ORM's bulk path would only add per-row bookkeeping here.
    db.session.execute(insert(EvidenceEntry.__table__), rows)
    _move_head(last, prev)
    return [row["seq"] for row in rows]


def _columns(fact: Fact, seq: int, prev: str, at: datetime,
             atts: list[Attachment]) -> dict[str, Any]:
    # The hashed body and the columns that mirror it, shared by append and append_many.
    body: dict[str, Any] = {
        "v": ENTRY_VERSION, "seq": seq, "prev": prev, "kind": fact.kind, "at": iso_z(at),
        "actor": fact.actor, "member": fact.member_id, "card": fact.card_id,
        "card_hash": fact.card_hash, "channel": fact.channel,
        "provider_msg_id": fact.provider_msg_id, "identity": fact.identity, "ip": fact.ip,
        "ua": (fact.user_agent or "")[:255] or None,
        "payload_sha256": blobs.put(fact.payload)[0] if fact.payload is not None else None,
        "attachments": [
            {"sha256": a.sha256, "size": a.size, "mime": a.mime, "name": a.filename} for a in atts
        ],
        "data": fact.data or {},
        "key": fact.idempotency_key,
    }
    text = canonical_json(body)
    entry_hash = sha256_hex(text)
    return {
        "seq": seq, "prev_hash": prev, "entry_hash": entry_hash, "kind": fact.kind,
        "member_id": fact.member_id, "card_id": fact.card_id, "card_hash": fact.card_hash,
        "channel": fact.channel, "provider_msg_id": fact.provider_msg_id,
        "identity": fact.identity, "actor": fact.actor, "recorded_at": at, "ip": fact.ip,
        "user_agent": body["ua"], "payload_sha256": body["payload_sha256"],
        "idempotency_key": fact.idempotency_key, "body": text,
        "seal": seal.entry_seal(entry_hash),
    }


def _advance_head(count: int = 1) -> tuple[int, str]:
    # Return the last sequence number now reserved and the hash the first new entry follows.
    bumped = db.session.execute(
        update(EvidenceHead).where(EvidenceHead.id == HEAD_ID)
        .values(seq=EvidenceHead.seq + count)
    )
    if bumped.rowcount == 0:  # first entry ever: a racing first insert fails and is retried
        db.session.add(EvidenceHead(id=HEAD_ID, seq=count, entry_hash=GENESIS_HASH))
        db.session.flush()
        return count, GENESIS_HASH
    row = db.session.execute(
        select(EvidenceHead.seq, EvidenceHead.entry_hash).where(EvidenceHead.id == HEAD_ID)
    ).one()
    return int(row.seq), str(row.entry_hash)


def _move_head(seq: int, entry_hash: str) -> None:
    # The head ends on the newest entry, sealed so that rewriting it needs the chain key.
    db.session.execute(
        update(EvidenceHead).where(EvidenceHead.id == HEAD_ID)
        .values(entry_hash=entry_hash, seal=seal.head_seal(seq, entry_hash)))


def iso_z(moment: datetime) -> str:
    """Return a naive UTC time as the body's "at" holds it, e.g. "2017-06-30T02:00:00Z"."""
    return moment.isoformat() + "Z"


def by_key(idempotency_key: str) -> EvidenceEntry | None:
    """Return the entry written under this idempotency key, if any."""
    return db.session.scalar(
        select(EvidenceEntry).where(EvidenceEntry.idempotency_key == idempotency_key)
    )


def entries_for(member_id: int, kind: str | None = None) -> list[EvidenceEntry]:
    """Return a member's entries in chain order, optionally of one kind."""
    query = select(EvidenceEntry).where(EvidenceEntry.member_id == member_id)
    if kind is not None:
        query = query.where(EvidenceEntry.kind == kind)
    return list(db.session.scalars(query.order_by(EvidenceEntry.seq)))


def record_event(
    kind: str, card: Card, *, actor: str, channel: str, provider_msg_id: str | None = None,
    payload: bytes | None = None, data: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> EvidenceEntry:
    """Record a channel fact about a card (sent, delivered, opened) once per idempotency key."""
    if idempotency_key and (existing := by_key(idempotency_key)) is not None:
        return existing
    return append(
        kind, actor=actor, member_id=card.member_id, card=card, channel=channel,
        provider_msg_id=provider_msg_id, payload=payload, data=data,
        idempotency_key=idempotency_key,
    )
