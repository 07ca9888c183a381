"""Recompute the whole evidence chain and every attachment hash; name the first bad entry.

Every column a reader uses is either inside the hashed body or compared with it here, so an
edit to any of them names the entry. Each entry hash and the head carry a seal under the chain
key, which the database does not hold, so a chain re-hashed or cut short and its head rewritten
without the key fails here too; with the key (or for those who lack it), anchors given out
before (``anchors``) catch it.

Each attached file and raw payload is read from storage, unsealed (which fails on any changed
byte) and its plaintext hashed against the SHA-256 the hashed entry records.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from service.evidence import blobs, seal
from service.evidence.anchors import Anchor
from service.evidence.canonical import canonical_json, sha256_hex
from service.evidence.ledger import HEAD_ID, evidence_id, iso_z
from service.extensions import db
from service.models import EvidenceEntry, EvidenceHead
from service.models.evidence import GENESIS_HASH

# Columns that repeat a field of the hashed body; an edit to either side must show.
_MIRRORED = {"seq": "seq", "prev_hash": "prev", "kind": "kind", "member_id": "member",
             "card_id": "card", "card_hash": "card_hash", "payload_sha256": "payload_sha256",
             "channel": "channel", "identity": "identity", "actor": "actor", "ip": "ip",
             "provider_msg_id": "provider_msg_id", "user_agent": "ua"}
# Body keys by the version that brought them in (a version-1 body has no "key").
_SINCE = {"key": 2}


@dataclass(frozen=True)
class Report:
    """The outcome: how many entries were checked, the head, and the first problem if any."""

    count: int
    head_seq: int
    head_hash: str
    bad_entry: str | None = None  # "E000005"
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Return whether the chain and the files are intact."""
        return self.problem is None


def verify_chain(batch: int = 1000, anchors: Iterable[Anchor] = ()) -> Report:
    """Walk the ledger in sequence order and return the first inconsistency found.

    Each of ``anchors`` (given out earlier) must still be held: the entry at its sequence
    number exists and has its hash.
    """
    wanted = {a.seq for a in anchors}
    held: dict[int, str] = {0: GENESIS_HASH}
    prev_hash, expected, count = GENESIS_HASH, 1, 0
    query = select(EvidenceEntry).order_by(EvidenceEntry.seq).execution_options(yield_per=batch)
    for entry in db.session.scalars(query):
        problem = _check(entry, expected, prev_hash)
        if problem is not None:
            bad = evidence_id(expected) if problem.startswith("缺失") else evidence_id(entry.seq)
            return Report(count, expected - 1, prev_hash, bad, f"{bad}：{problem}")
        if entry.seq in wanted:
            held[entry.seq] = entry.entry_hash
        prev_hash, expected, count = entry.entry_hash, expected + 1, count + 1
    for anchor in anchors:
        if not anchor.held_by(held.get(anchor.seq)):
            bad = evidence_id(anchor.seq)
            why = ("账本中已没有这条凭证（末尾凭证被删除）" if anchor.seq > count
                   else "账本中这条凭证的哈希与锚点不同（账本被改写）")
            return Report(count, count, prev_hash, bad, f"锚点 {anchor.short}…：{why}")
    head = db.session.get(EvidenceHead, HEAD_ID)
    head_seq, head_hash = (head.seq, head.entry_hash) if head else (0, GENESIS_HASH)
    if (head_seq, head_hash) != (count, prev_hash):
        bad = evidence_id(count + 1) if head_seq > count else evidence_id(max(count, 1))
        return Report(count, count, prev_hash, bad,
                      f"{bad}：链头记录为第 {head_seq} 条，与账本末尾不符"
                      "（末尾凭证可能被删除或篡改）")
    if head and not seal.head_ok(head.seal, head.seq, head.entry_hash):
        bad = evidence_id(count)
        return Report(count, count, prev_hash, bad,
                      f"{bad}：链头的链密钥签名不符（链头被改写，末尾凭证可能被删除）")
    return Report(count, count, prev_hash)


def _check(entry: EvidenceEntry, expected: int, prev_hash: str) -> str | None:
    if entry.seq != expected:
        return f"缺失（其后的 {evidence_id(entry.seq)} 之前的凭证被删除或序号被改动）"
    if sha256_hex(entry.body) != entry.entry_hash:
        return "内容与其哈希值不符（凭证内容被修改）"
    try:
        body = json.loads(entry.body)
    except ValueError:
        return "内容不是有效的 JSON"
    if canonical_json(body) != entry.body:
        return "内容不是规范 JSON 形式"
    if body.get("prev") != prev_hash:
        return "前一凭证哈希不符（凭证被删除、插入或调换了顺序）"
    for column, key in _mirrored(body):
        if getattr(entry, column) != body.get(key):
            return f"字段 {column} 与已签名内容不符（被修改）"
    if not isinstance(entry.recorded_at, datetime) or iso_z(entry.recorded_at) != body.get("at"):
        return "字段 recorded_at 与已签名内容不符（被修改）"
    if not seal.entry_ok(entry.seal, entry.entry_hash):
        return "链密钥签名缺失或不符（凭证不是本系统写入的，或哈希被重新计算过）"
    for digest in [a["sha256"] for a in body.get("attachments", [])] + [body.get("payload_sha256")]:
        if digest is None:
            continue
        try:
            data = blobs.read(digest)
        except blobs.Altered:
            return f"所附文件 {digest[:12]}… 已被改动（密封校验未通过）"
        if data is None:
            return f"所附文件 {digest[:12]}… 缺失"
        if sha256_hex(data) != digest:
            return f"所附文件 {digest[:12]}… 已被改动"
    return None


def _mirrored(body: dict[str, Any]) -> Iterable[tuple[str, str]]:
    yield from _MIRRORED.items()
    if body.get("v", 1) >= _SINCE["key"]:
        yield "idempotency_key", "key"
