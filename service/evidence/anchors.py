"""Ledger anchors: the chain head as text given out on every export, and reading one back.

An anchor is ``E000123:<hash of entry 123>``. Whoever holds one printed after an entry can
later prove the ledger still holds that entry unchanged, so deleting the newest entries and
rewriting the head row (which the chain alone cannot notice) is caught by any anchor given out
after them. Printed forms carry a prefix of the hash (``SHORT`` hex digits, 64 bits: forging
an entry to match it costs about 2^64 hashes); files and messages carry the whole hash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.errors import ServiceError
from service.evidence.ledger import HEAD_ID, evidence_id
from service.extensions import db
from service.models import EvidenceHead
from service.models.evidence import GENESIS_HASH

SHORT = 16  # hex digits of the hash printed on paper; also the shortest accepted back
LABEL = "账本锚点"
_TEXT = re.compile(r"[Ee]?(\d+)[:：]([0-9a-fA-F]+)[.…]*")


@dataclass(frozen=True)
class Anchor:
    """A sequence number and the hash (or a prefix of it) of the entry there."""

    seq: int
    entry_hash: str

    @property
    def full(self) -> str:
        """Return ``E000123:<64 hex>``, for files, JSON and messages."""
        return f"{evidence_id(self.seq)}:{self.entry_hash}"

    @property
    def short(self) -> str:
        """Return ``E000123:<16 hex>``, short enough for a footer line on paper."""
        return f"{evidence_id(self.seq)}:{self.entry_hash[:SHORT]}"

    def held_by(self, entry_hash: str | None) -> bool:
        """Return whether the entry hash found at ``seq`` is the one this anchor names."""
        return entry_hash is not None and entry_hash.startswith(self.entry_hash)

    def __str__(self) -> str:
        return self.full


def current() -> Anchor:
    """Return the ledger head as committed (the genesis anchor E000000 while it is empty)."""
    head = db.session.get(EvidenceHead, HEAD_ID)
    return Anchor(head.seq, head.entry_hash) if head else Anchor(0, GENESIS_HASH)


def parse(text: str) -> Anchor:
    """Read ``E000123:9f2c…`` or ``123:9f2c…`` back (at least ``SHORT`` hex digits of hash)."""
    found = _TEXT.fullmatch(text.strip())
    if found is None:
        raise ServiceError(f"锚点“{text}”格式不对，应为“凭证编号:哈希”，如 E000123:9f2c4e…")
    digits = found[2].lower()
    if len(digits) < SHORT or len(digits) > len(GENESIS_HASH):
        raise ServiceError(f"锚点“{text}”的哈希应为 {SHORT} 至 64 位十六进制数字")
    return Anchor(int(found[1]), digits)
