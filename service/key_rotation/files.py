"""The rotation steps for what the data key protects outside the encrypted columns: the seals
of the evidence chain, the sealed evidence blobs and the sealed import files.

A seal is renewed only if it is valid under the old key: a seal neither key makes stays as it
is, so ``evidence verify`` keeps naming the entry (and the rotation reports it). A blob is
copied to its new name and key before its old copy is deleted; an import file is re-sealed in
place. Running a step again is harmless. Nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import sqlalchemy as sa

from service.admin import import_files
from service.evidence import blobs, seal
from service.evidence.ledger import evidence_id
from service.extensions import db
from service.key_rotation import Batch, Step
from service.models import Attachment, EvidenceEntry, EvidenceHead

_ENTRIES = EvidenceEntry.__table__
_HEAD = EvidenceHead.__table__
_ATTACHMENTS = Attachment.__table__


def steps() -> list[Step]:
    """Return the steps of the evidence seals, the evidence blobs and the import files."""
    entries = _counter(_ENTRIES)
    return [
        Step("evidence_entries", _entry_seals, entries,
             "条签名新旧密钥都不符，保持原样（凭证可能被篡改，evidence verify 会指出）",
             evidence_id),
        Step("evidence_head", _head_seal, _counter(_HEAD),
             "条签名新旧密钥都不符，保持原样（链头可能被改写，evidence verify 会指出）"),
        Step("evidence_blobs", _blobs, entries,
             "条凭证所附文件用旧密钥打不开或内容已变，保持原样（evidence verify 会指出）",
             evidence_id),
        Step("import_files", _import_files, lambda: len(import_files.stored_jobs(0, 10**9)),
             "个导入任务的文件新旧密钥都打不开（任务编号）"),
    ]


def _counter(table: sa.Table) -> Callable[[], int]:
    return lambda: int(db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


def _entry_seals(after: int, size: int, write: bool) -> Batch:
    rows = db.session.execute(sa.select(_ENTRIES.c.seq, _ENTRIES.c.entry_hash, _ENTRIES.c.seal)
                              .where(_ENTRIES.c.seq > after).order_by(_ENTRIES.c.seq)
                              .limit(size)).all()
    batch = Batch(int(rows[-1].seq) if rows else None, len(rows))
    for row in rows:
        by = seal.entry_sealed_by(row.seal, row.entry_hash)
        if by is None:
            batch.unreadable.append(int(row.seq))
        elif by == seal.OLD:
            batch.stale += 1
            if write:  # entries never change: the guard only keeps a second run from racing
                db.session.execute(sa.update(_ENTRIES).where(
                    _ENTRIES.c.seq == row.seq, _ENTRIES.c.seal == row.seal)
                    .values(seal=seal.entry_seal(row.entry_hash)))
    return batch


def _head_seal(after: int, size: int, write: bool) -> Batch:
    rows = db.session.execute(sa.select(_HEAD.c.id, _HEAD.c.seq, _HEAD.c.entry_hash, _HEAD.c.seal)
                              .where(_HEAD.c.id > after).order_by(_HEAD.c.id).limit(size)).all()
    batch = Batch(int(rows[-1].id) if rows else None, len(rows))
    for row in rows:
        by = seal.head_sealed_by(row.seal, row.seq, row.entry_hash)
        if by is None:
            batch.unreadable.append(int(row.id))
        elif by == seal.OLD:
            batch.stale += 1
            if write:  # only the head read: an append meanwhile sealed its own under the new key
                db.session.execute(sa.update(_HEAD).where(
                    _HEAD.c.id == row.id, _HEAD.c.seq == row.seq,
                    _HEAD.c.entry_hash == row.entry_hash, _HEAD.c.seal == row.seal)
                    .values(seal=seal.head_seal(row.seq, row.entry_hash)))
    return batch


def _blobs(after: int, size: int, write: bool) -> Batch:
    """The files the entries cite (attachments, raw payloads), walked entry by entry."""
    rows = db.session.execute(sa.select(_ENTRIES.c.seq, _ENTRIES.c.body)
                              .where(_ENTRIES.c.seq > after).order_by(_ENTRIES.c.seq)
                              .limit(size)).all()
    batch = Batch(int(rows[-1].seq) if rows else None, len(rows))
    seen: set[str] = set()
    for row in rows:
        for digest in _cited(row.body):
            if digest in seen:
                continue
            seen.add(digest)
            found = blobs.rekey(digest, write=write)
            if found == blobs.UNREADABLE:
                batch.unreadable.append(int(row.seq))
                continue
            if found == blobs.MOVED:
                batch.stale += 1
            if write:  # the attachment row names where its file is stored
                db.session.execute(sa.update(_ATTACHMENTS).where(
                    _ATTACHMENTS.c.sha256 == digest,
                    _ATTACHMENTS.c.stored_path == blobs.old_relative_path(digest))
                    .values(stored_path=blobs.relative_path(digest)))
    return batch


def _cited(body: str) -> list[str]:
    try:
        entry = json.loads(body)
    except ValueError:
        return []  # verify names an entry whose body is not JSON
    if not isinstance(entry, dict):
        return []
    cited = [a.get("sha256") for a in entry.get("attachments", [])]
    return [d for d in [*cited, entry.get("payload_sha256")] if isinstance(d, str)]


def _import_files(after: int, size: int, write: bool) -> Batch:
    jobs = import_files.stored_jobs(after, size)
    batch = Batch(jobs[-1] if jobs else None, len(jobs))
    for job_id in jobs:
        stale, unreadable = import_files.rekey(job_id, write=write)
        batch.stale += stale
        if unreadable:
            batch.unreadable.append(job_id)
    return batch
