"""Evidence ledger rows: hash-chained entries, the chain head, and stored attachments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import db
from service.schema import BigId, created_at, intpk

GENESIS_HASH = "0" * 64


class EvidenceEntry(db.Model):
    """One proven fact. Never updated or deleted; ``body`` is exactly what ``entry_hash`` covers.

    The other columns repeat fields of ``body`` so the ledger can be queried; verification
    checks that they agree with it. Nothing here is a full ID number or phone, so an inspector
    can check the chain without our keys.
    """

    __tablename__ = "evidence_entries"

    id: Mapped[intpk]
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    member_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("members.id"), index=True)
    card_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cards.id"), index=True)
    card_hash: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(32))
    provider_msg_id: Mapped[str | None] = mapped_column(String(128))
    identity: Mapped[str | None] = mapped_column(String(32))  # how the actor was identified
    actor: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime]  # server time, UTC
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    payload_sha256: Mapped[str | None] = mapped_column(String(64))  # raw inbound, stored as blob
    # One fact, one entry: a double click or a provider retry hits this and writes nothing.
    idempotency_key: Mapped[str | None] = mapped_column(String(191), unique=True)
    body: Mapped[str] = mapped_column(Text)  # canonical JSON (see service.evidence.ledger)
    # HMAC of entry_hash under the chain key, which the database does not hold (evidence.seal).
    seal: Mapped[str | None] = mapped_column(String(64))

    @property
    def evidence_id(self) -> str:
        """Return the id printed on forms, e.g. "E000123"."""
        return f"E{self.seq:06d}"

    def __repr__(self) -> str:
        return f"<EvidenceEntry {self.seq} {self.kind}>"


class EvidenceHead(db.Model):
    """The single row holding the chain's last sequence number and hash.

    Appending increments it first, which serialises writers on every database (row lock on
    MySQL/MariaDB/TiDB, the write lock on SQLite), and lets verification notice a deleted tail.
    """

    __tablename__ = "evidence_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    entry_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    seal: Mapped[str | None] = mapped_column(String(64))  # HMAC of (seq, entry_hash)


class Attachment(db.Model):
    """A file kept as evidence (recording, screenshot, signed paper form), stored on disk."""

    __tablename__ = "evidence_attachments"

    id: Mapped[intpk]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded, for people
    stored_path: Mapped[str] = mapped_column(String(255))  # storage key of the sealed file
    entry_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("evidence_entries.id"), index=True
    )
    uploaded_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[created_at]
