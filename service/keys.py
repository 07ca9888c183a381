"""Secret keys: taken from the settings, or generated once into the instance folder."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from flask import Flask


def init_app(app: Flask) -> None:
    """Make sure SECRET_KEY and DATA_KEY are set, generating development keys where missing."""
    for name, filename in (("SECRET_KEY", "secret.key"), ("DATA_KEY", "data.key")):
        if not app.config.get(name):
            app.config[name] = _load_or_create(app, Path(app.instance_path) / filename, name)


def new_key() -> str:
    """Return a fresh 256-bit key in the form FLASK_DATA_KEY expects (URL-safe base64)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def decode_data_key(value: str) -> bytes:
    """Decode FLASK_DATA_KEY, refusing anything that is not 32 bytes of base64."""
    try:
        raw = base64.urlsafe_b64decode(value.encode() + b"=" * (-len(value) % 4))
    except ValueError as exc:
        raise RuntimeError("FLASK_DATA_KEY 不是有效的 base64 编码") from exc
    if len(raw) != 32:
        raise RuntimeError(f"FLASK_DATA_KEY 应为 32 字节（base64 编码），实为 {len(raw)} 字节")
    return raw


def _load_or_create(app: Flask, path: Path, name: str) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_key()
    try:
        # O_EXCL: when several processes start at once exactly one writes the key, and the
        # others read it, so they never encrypt with different keys.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    app.logger.warning(
        "FLASK_%s is not set: generated a key into %s. Set FLASK_%s in production and keep "
        "a copy of it; data encrypted with a lost key cannot be read again.",
        name, path, name,
    )
    return key
