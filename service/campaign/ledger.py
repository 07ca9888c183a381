"""The evidence ledger: append hash-chained entries in the caller's transaction, and find them.

Sequencing: every append first runs ``UPDATE evidence_head SET seq = seq + 1`` on the single
head row and only then reads it back. The UPDATE takes the row lock on MySQL/MariaDB/TiDB (held
to commit) and the database write lock on SQLite, so appenders queue on it and each reads the
head its predecessor committed: no gaps, no forks, no SELECT … FOR UPDATE (whose SQLite
spelling does not exist), and nothing MySQL-only. The unique seq and entry_hash columns are the
backstop; a losing racer gets an IntegrityError and the edge's retry runs the unit again.
The head row also lets verification notice a deleted last entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from service.campaign import blobs
from service.campaign.canonical import canonical_hash, canonical_json
from service.clock import now_utc
from service.extensions import db
from service.models import Attachment, Card, EvidenceEntry, EvidenceHead
from service.models.evidence import GENESIS_HASH

ENTRY_VERSION = 1
HEAD_ID = 1

# DESIGN §3 kinds, plus card_issued so the chain holds the hash of every card put to a member.
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
KIND_LABELS = {
    CARD_ISSUED: "生成确认卡", CARD_SENT: "发送确认卡", DELIVERED: "送达", OPENED: "打开",
    CONFIRMED: "本人确认", DISPUTED: "提出修改", PROXY_CONFIRMED: "代为确认",
    ATTACHMENT: "补充附件", BINDING: "绑定身份", CONSENT: "同意电子确认",
}


def evidence_id(seq: int) -> str:
    """Return the printed id of the entry with this sequence number."""
    return f"E{seq:06d}"


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
    db.session.flush()  # the transition this proves takes its locks before the head's
    seq, prev = _advance_head()
    at = now_utc().replace(microsecond=0)
    body: dict[str, Any] = {
        "v": ENTRY_VERSION, "seq": seq, "prev": prev, "kind": kind, "at": _iso(at),
        "actor": actor, "member": member_id, "card": card.id if card else None,
        "card_hash": card.sha256 if card else None, "channel": channel,
        "provider_msg_id": provider_msg_id, "identity": identity, "ip": ip,
        "ua": (user_agent or "")[:255] or None,
        "payload_sha256": blobs.put(payload)[0] if payload is not None else None,
        "attachments": [
            {"sha256": a.sha256, "size": a.size, "mime": a.mime, "name": a.filename} for a in atts
        ],
        "data": data or {},
    }
    entry = EvidenceEntry(
        seq=seq, prev_hash=prev, entry_hash=canonical_hash(body), kind=kind, member_id=member_id,
        card_id=body["card"], card_hash=body["card_hash"], channel=channel,
        provider_msg_id=provider_msg_id, identity=identity, actor=actor, recorded_at=at, ip=ip,
        user_agent=body["ua"], payload_sha256=body["payload_sha256"],
        idempotency_key=idempotency_key, body=canonical_json(body),
    )
    db.session.add(entry)
    db.session.flush()
    db.session.execute(
        update(EvidenceHead).where(EvidenceHead.id == HEAD_ID).values(entry_hash=entry.entry_hash)
    )
    for att in atts:
        att.entry_id = entry.id
    return entry


def _advance_head() -> tuple[int, str]:
    bumped = db.session.execute(
        update(EvidenceHead).where(EvidenceHead.id == HEAD_ID).values(seq=EvidenceHead.seq + 1)
    )
    if bumped.rowcount == 0:  # first entry ever: a racing first insert fails and is retried
        db.session.add(EvidenceHead(id=HEAD_ID, seq=1, entry_hash=GENESIS_HASH))
        db.session.flush()
        return 1, GENESIS_HASH
    row = db.session.execute(
        select(EvidenceHead.seq, EvidenceHead.entry_hash).where(EvidenceHead.id == HEAD_ID)
    ).one()
    return int(row.seq), str(row.entry_hash)


def _iso(moment: datetime) -> str:
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
