"""The chain key: an HMAC over every entry hash and over the head, under a key kept outside
the database (derived from FLASK_DATA_KEY).

The hash chain alone proves order and content to anyone, but someone who can write the
database can re-hash a forged chain or cut its newest entries and rewrite the head to match.
Without this key they cannot produce the seals, so ``evidence verify`` catches both; anchors
given out remain the proof for those who do not hold the key (inspectors, a stolen key).
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from service.keys import decode_data_key

_EXTENSION = "evidence_seal_key"
_INFO = b"member-confirm evidence chain seal v1"


def _key() -> bytes:
    key = current_app.extensions.get(_EXTENSION)
    if key is None:
        master = decode_data_key(current_app.config["DATA_KEY"])
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(master)
        current_app.extensions[_EXTENSION] = key
    return key


def _mac(message: str) -> str:
    return hmac.new(_key(), message.encode(), hashlib.sha256).hexdigest()


def entry_seal(entry_hash: str) -> str:
    """Return the seal stored beside an entry's hash."""
    return _mac(f"entry\0{entry_hash}")


def head_seal(seq: int, entry_hash: str) -> str:
    """Return the seal of the head row: its sequence number and hash together."""
    return _mac(f"head\0{seq}\0{entry_hash}")


def matches(stored: str | None, expected: str) -> bool:
    """Return whether a stored seal is the expected one (in constant time)."""
    return stored is not None and hmac.compare_digest(stored, expected)
