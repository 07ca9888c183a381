"""Canonical JSON and SHA-256: the one byte form that card and evidence hashes are taken over.

The rule (repeated in the evidence bundle's README so an inspector can apply it without us):
``json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))`` encoded as UTF-8.
Values are only strings, integers, booleans, null, lists and objects: no floats, whose text
form differs between languages; dates are ISO strings.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(obj: Any) -> str:
    """Return the canonical JSON text of ``obj``."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def sha256_hex(data: bytes | str) -> str:
    """Return the hex SHA-256 of bytes, or of a string's UTF-8 encoding."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def canonical_hash(obj: Any) -> str:
    """Return the hex SHA-256 of the canonical JSON of ``obj``."""
    return sha256_hex(canonical_json(obj))
