"""The chain key: an HMAC over every entry hash and over the head, under a key kept outside
the database (derived from FLASK_DATA_KEY).

The hash chain alone proves order and content to anyone, but someone who can write the
database can re-hash a forged chain or cut its newest entries and rewrite the head to match.
Without this key they cannot produce the seals, so ``evidence verify`` catches both; anchors
given out remain the proof for those who do not hold the key (inspectors, a stolen key).
While the data key is rotated (FLASK_DATA_KEY_OLD set), seals made under the old key still
verify; new seals are made under the new key only, and ``flask keys rotate-data`` re-seals.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app

from service.crypto import derive_key
from service.keys import decode_data_key

_EXTENSION = "evidence_seal_keys"
_INFO = b"member-confirm evidence chain seal v1"
CURRENT = "current"  # sealed under FLASK_DATA_KEY
OLD = "old"  # sealed under FLASK_DATA_KEY_OLD: still valid, re-sealed by the rotation


def _keys() -> tuple[bytes, bytes | None]:
    keys = current_app.extensions.get(_EXTENSION)
    if keys is None:
        old = current_app.config.get("DATA_KEY_OLD")
        keys = current_app.extensions[_EXTENSION] = (
            derive_key(decode_data_key(current_app.config["DATA_KEY"]), _INFO),
            derive_key(decode_data_key(old, "FLASK_DATA_KEY_OLD"), _INFO) if old else None)
    return keys  # type: ignore[no-any-return]


def _mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def _entry_message(entry_hash: str) -> str:
    return f"entry\0{entry_hash}"


def _head_message(seq: int, entry_hash: str) -> str:
    return f"head\0{seq}\0{entry_hash}"


def entry_seal(entry_hash: str) -> str:
    """Return the seal stored beside an entry's hash (under the current key)."""
    return _mac(_keys()[0], _entry_message(entry_hash))


def head_seal(seq: int, entry_hash: str) -> str:
    """Return the seal of the head row: its sequence number and hash together."""
    return _mac(_keys()[0], _head_message(seq, entry_hash))


def entry_sealed_by(stored: str | None, entry_hash: str) -> str | None:
    """Return which key made an entry's stored seal (CURRENT, OLD), or None if neither did."""
    return _sealed_by(stored, _entry_message(entry_hash))


def head_sealed_by(stored: str | None, seq: int, entry_hash: str) -> str | None:
    """Return which key made the head's stored seal (CURRENT, OLD), or None if neither did."""
    return _sealed_by(stored, _head_message(seq, entry_hash))


def entry_ok(stored: str | None, entry_hash: str) -> bool:
    """Return whether an entry's stored seal is valid (under either key while rotating)."""
    return entry_sealed_by(stored, entry_hash) is not None


def head_ok(stored: str | None, seq: int, entry_hash: str) -> bool:
    """Return whether the head's stored seal is valid (under either key while rotating)."""
    return head_sealed_by(stored, seq, entry_hash) is not None


def _sealed_by(stored: str | None, message: str) -> str | None:
    if stored is None:
        return None
    current, old = _keys()
    if hmac.compare_digest(stored, _mac(current, message)):
        return CURRENT
    if old is not None and hmac.compare_digest(stored, _mac(old, message)):
        return OLD
    return None


def matches(stored: str | None, expected: str) -> bool:
    """Return whether a stored seal is the expected one (in constant time)."""
    return stored is not None and hmac.compare_digest(stored, expected)
