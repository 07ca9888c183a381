"""Member version diffs, with personal numbers sealed so history never holds them in clear."""

from __future__ import annotations

from datetime import date
from typing import Any

from service.crypto import cipher
from service.records.fields import SENSITIVE_MEMBER_KEYS

_PURPOSE = "member_version"


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [before, after]} for every field whose value differs."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: [before.get(k), after.get(k)] for k in keys}


def seal(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Make a diff storable as JSON: dates as ISO text, personal numbers encrypted."""
    return {k: [_seal_value(k, v) for v in pair] for k, pair in changes.items()}


def unseal(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Reverse :func:`seal` for display (dates stay ISO text)."""
    c = cipher()
    return {
        k: [c.decrypt(v, f"{_PURPOSE}.{k}") if k in SENSITIVE_MEMBER_KEYS and v else v
            for v in pair]
        for k, pair in changes.items()
    }


def reseal(changes: dict[str, list[Any]]) -> dict[str, list[Any]] | None:
    """Return a stored diff with its personal numbers re-encrypted under the current data key,
    or None when none of them was still under the old key (see service.key_rotation)."""
    c, changed = cipher(), False
    out: dict[str, list[Any]] = {}
    for k, pair in changes.items():
        out[k] = list(pair)
        if k not in SENSITIVE_MEMBER_KEYS:
            continue
        for i, v in enumerate(pair):
            if v:
                _, token = c.reseal(v, f"{_PURPOSE}.{k}")
                if token is not None:
                    out[k][i], changed = token, True
    return out if changed else None


def _seal_value(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in SENSITIVE_MEMBER_KEYS:
        return cipher().encrypt(str(value), f"{_PURPOSE}.{key}")
    if isinstance(value, date):
        return value.isoformat()
    return value
