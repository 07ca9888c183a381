"""Field encryption at rest (AES-GCM) and blind indexes (HMAC) for ID numbers and phones."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app
from sqlalchemy import String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from service.keys import decode_data_key

_PREFIX = "v1."
_EXTENSION = "field_cipher"


class FieldCipher:
    """Encrypt, decrypt and index personal numbers with keys derived from one master key.

    While the data key is rotated (``old_key`` given), values sealed under the old key still
    decrypt and look-ups match either key's index; everything new is sealed and indexed
    under the new key only.
    """

    def __init__(self, master_key: bytes, old_key: bytes | None = None) -> None:
        self._aead = AESGCM(derive_key(master_key, b"member-confirm field encryption v1"))
        self._index_key = derive_key(master_key, b"member-confirm blind index v1")
        self.old = FieldCipher(old_key) if old_key is not None else None

    def encrypt(self, plaintext: str, purpose: str) -> str:
        """Encrypt ``plaintext``; ``purpose`` is bound in: a value cannot move to another column."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), purpose.encode())
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, purpose: str) -> str:
        """Decrypt a value written by :meth:`encrypt` for the same purpose (either key)."""
        try:
            return self._open(token, purpose)
        except InvalidTag:
            if self.old is None:
                raise
            return self.old.decrypt(token, purpose)

    def reseal(self, token: str, purpose: str) -> tuple[str, str | None]:
        """Return ``(plaintext, new token)``; the token is None if already under this key."""
        try:
            return self._open(token, purpose), None
        except InvalidTag:
            if self.old is None:
                raise
            plain = self.old.decrypt(token, purpose)
            return plain, self.encrypt(plain, purpose)

    def _open(self, token: str, purpose: str) -> str:
        if not token.startswith(_PREFIX):
            raise ValueError("not an encrypted field value")
        raw = base64.urlsafe_b64decode(token[len(_PREFIX):])
        return self._aead.decrypt(raw[:12], raw[12:], purpose.encode()).decode()

    def blind_index(self, value: str, purpose: str) -> str:
        """Return a keyed hash of a normalized value, for equality look-ups and duplicates."""
        msg = purpose.encode() + b"\0" + value.encode()
        return hmac.new(self._index_key, msg, hashlib.sha256).hexdigest()

    def blind_indexes(self, value: str, purpose: str) -> list[str]:
        """Return the value's index under this key, then under the old key while rotating."""
        found = [self.blind_index(value, purpose)]
        return found if self.old is None else [*found, self.old.blind_index(value, purpose)]


def derive_key(master: bytes, info: bytes) -> bytes:
    """Return a 32-byte key for one purpose (``info``) derived from the master key (HKDF)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def init_app(app: Flask) -> None:
    """Build the app's cipher from DATA_KEY (and DATA_KEY_OLD while rotating)."""
    old = app.config.get("DATA_KEY_OLD")
    app.extensions[_EXTENSION] = FieldCipher(
        decode_data_key(app.config["DATA_KEY"]),
        decode_data_key(old, "FLASK_DATA_KEY_OLD") if old else None)


def cipher() -> FieldCipher:
    """Return the current app's cipher."""
    return current_app.extensions[_EXTENSION]


def blind_index(value: str | None, purpose: str) -> str | None:
    """Return the blind index of a normalized value with the current app's key, or None."""
    return None if value is None else cipher().blind_index(value, purpose)


def blind_indexes(value: str | None, purpose: str) -> list[str]:
    """Return every index a stored row may hold for ``value`` (two while the key is rotated).

    Look-ups compare with ``column.in_(blind_indexes(...))``; rows are written with
    :func:`blind_index` only.
    """
    return [] if value is None else cipher().blind_indexes(value, purpose)


class EncryptedColumn(TypeDecorator[str]):
    """A column stored AES-GCM encrypted. Compare through a blind index, never by value."""

    impl: Any = String(160)
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else cipher().encrypt(value, self.purpose)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else cipher().decrypt(value, self.purpose)


class EncryptedString(EncryptedColumn):
    """A short personal number (ID, phone): the sealed value fits in VARCHAR(160)."""

    impl = String(160)
    cache_ok = True  # SQLAlchemy reads it from each class's own namespace


class EncryptedText(EncryptedColumn):
    """A long value, such as a card snapshot holding the 16 items."""

    impl = Text
    cache_ok = True
