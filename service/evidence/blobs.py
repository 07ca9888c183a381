"""Content-addressed file store for evidence blobs (attachments, raw inbound payloads)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import current_app

from service.evidence.canonical import sha256_hex


def evidence_dir() -> Path:
    """Return the configured evidence folder (app.config["EVIDENCE_DIR"])."""
    return Path(current_app.config["EVIDENCE_DIR"])


def relative_path(sha256: str) -> str:
    """Return where a blob with this hash lives, relative to the evidence folder."""
    return f"blobs/{sha256[:2]}/{sha256}"


def put(data: bytes) -> tuple[str, str]:
    """Store ``data`` (once per content) and return its SHA-256 and relative path.

    Written before the transaction that refers to it commits; if that transaction rolls back
    the file stays as an unreferenced blob, which is harmless and never wrong.
    """
    digest = sha256_hex(data)
    rel = relative_path(digest)
    target = evidence_dir() / rel
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)  # atomic: a reader never sees half a file
    return digest, rel


def read(sha256: str) -> bytes | None:
    """Return the stored blob with this hash, or None if it is missing."""
    path = evidence_dir() / relative_path(sha256)
    return path.read_bytes() if path.exists() else None
