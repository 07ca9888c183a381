"""Evidence blobs (attachments, raw inbound payloads): sealed, stored once, found by content hash.

The ledger cites a blob by the SHA-256 of its plaintext (what an inspector's verify.py checks);
storage knows it only by a keyed name (service.sealing) and holds it AES-GCM sealed. Files
written before sealing (plain, named by their SHA-256) are still read, and checked against the
hash, until ``flask evidence seal`` has sealed them. While the data key is rotated, blobs named
and sealed under the old key are found and read too, until ``flask keys rotate-data`` moves them.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from service import storage
from service.evidence.canonical import sha256_hex
from service.sealing import Unsealable, sealer

MOVED = "moved"  # rekey: the blob was under the old key (moved to the new one when writing)
UNREADABLE = "unreadable"  # rekey: the old copy does not open, or its content changed


class Altered(Exception):
    """A stored blob no longer opens with its key: one of its bytes was changed."""


def evidence_dir() -> Path:
    """Return the configured evidence folder (app.config["EVIDENCE_DIR"]) of the local store."""
    return Path(current_app.config["EVIDENCE_DIR"])


def relative_path(sha256: str) -> str:
    """Return the storage key of the sealed blob whose plaintext has this hash."""
    return _named(sealer().name(sha256))


def old_relative_path(sha256: str) -> str | None:
    """Return the storage key the blob had under the old data key (None: not rotating)."""
    old = sealer().old
    return None if old is None else _named(old.name(sha256))


def _named(name: str) -> str:
    return f"blobs/{name[:2]}/{name}"


def legacy_path(sha256: str) -> str:
    """Return where an unsealed blob of the earlier layout lives (named by its SHA-256)."""
    return f"blobs/{sha256[:2]}/{sha256}"


def put(data: bytes) -> tuple[str, str]:
    """Seal and store ``data`` (once per content); return its SHA-256 and its storage key.

    Written before the transaction that refers to it commits; if that transaction rolls back
    the file stays as an unreferenced blob, which is harmless and never wrong.
    """
    digest = sha256_hex(data)
    key = relative_path(digest)
    store = storage.store(storage.EVIDENCE)
    if not store.exists(key):
        store.put(key, sealer().seal(data, key))
    return digest, key


def read(sha256: str) -> bytes | None:
    """Return the plaintext of the blob with this hash, or None if it is missing.

    Raise Altered if the sealed file no longer opens (a changed byte, a swapped file).
    """
    store = storage.store(storage.EVIDENCE)
    key = relative_path(sha256)
    sealed = store.get(key)
    if sealed is not None:
        try:
            return sealer().open(sealed, key)
        except Unsealable:
            raise Altered(sha256) from None
    old_key = old_relative_path(sha256)
    sealed = store.get(old_key) if old_key is not None else None
    if old_key is not None and sealed is not None:
        try:
            return sealer().open(sealed, old_key)
        except Unsealable:
            raise Altered(sha256) from None
    return store.get(legacy_path(sha256))  # the caller checks its hash


def rekey(sha256: str, *, write: bool) -> str | None:
    """Move a blob named and sealed under the old data key to the new name and key.

    Return MOVED if a copy under the old key was found (and, with ``write``, moved), UNREADABLE
    if that copy does not open or no longer has its hash (left where it is), None if there is
    none. The old copy is deleted only once the new one is stored; running again is harmless.
    """
    old, old_key = sealer().old, old_relative_path(sha256)
    if old is None or old_key is None:
        return None
    store = storage.store(storage.EVIDENCE)
    sealed = store.get(old_key)
    if sealed is None:
        return None
    try:
        plain = old.open_current(sealed, old_key)
    except Unsealable:
        return UNREADABLE
    if sha256_hex(plain) != sha256:
        return UNREADABLE
    if write:
        key = relative_path(sha256)
        if not _holds(store.get(key), key, sha256):
            store.put(key, sealer().seal(plain, key))
        store.delete(old_key)
    return MOVED


def _holds(sealed: bytes | None, key: str, sha256: str) -> bool:
    # Whether a copy under the new key is there, whole and right.
    if sealed is None:
        return False
    try:
        return sha256_hex(sealer().open_current(sealed, key)) == sha256
    except Unsealable:
        return False


def seal_legacy(sha256: str) -> bool:
    """Seal an unsealed blob of the earlier layout in place; return whether there was one.

    The plain file is removed only once its sealed copy is stored and its hash checked.
    """
    store = storage.store(storage.EVIDENCE)
    plain = store.get(legacy_path(sha256))
    if plain is None or sha256_hex(plain) != sha256:
        return False
    key = relative_path(sha256)
    if not store.exists(key):
        store.put(key, sealer().seal(plain, key))
    store.delete(legacy_path(sha256))
    return True
