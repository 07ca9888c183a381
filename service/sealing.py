"""Sealed files: AES-GCM under a key derived from DATA_KEY, named by a keyed hash.

Evidence blobs, import uploads and error reports hold ID numbers and phones; they are sealed
before they reach storage, so a copied evidence folder or bucket shows neither their content
nor, through its names, a hash an attacker could confirm a guess against (a short SMS push
is guessable from its plain SHA-256).

While the data key is rotated (FLASK_DATA_KEY_OLD set) files sealed under the old key still
open; everything new is sealed and named under the new key (``flask keys rotate-data`` moves
the rest).
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

from service.crypto import derive_key
from service.keys import decode_data_key

MAGIC = b"MCS1"  # marks a sealed file; what is stored = MAGIC + nonce + ciphertext and tag
_NONCE = 12
_EXTENSION = "sealer"


class Unsealable(Exception):
    """A stored file did not open: it was changed, moved to another name, or is not sealed."""


class Sealer:
    """Seal and open files, and name them, with two keys derived from the master key.

    ``old`` is the sealer of the previous master key while it is rotated, else None.
    """

    def __init__(self, master_key: bytes, old_key: bytes | None = None) -> None:
        self._aead = AESGCM(derive_key(master_key, b"member-confirm blob encryption v1"))
        self._name_key = derive_key(master_key, b"member-confirm blob name v1")
        self.old = Sealer(old_key) if old_key is not None else None

    def name(self, sha256: str) -> str:
        """Return the keyed name of the blob whose plaintext has this SHA-256 (hex)."""
        return hmac.new(self._name_key, bytes.fromhex(sha256), hashlib.sha256).hexdigest()

    def seal(self, data: bytes, context: str) -> bytes:
        """Encrypt ``data``; ``context`` (its storage key) is bound in, so files can't swap."""
        nonce = os.urandom(_NONCE)
        return MAGIC + nonce + self._aead.encrypt(nonce, data, context.encode())

    def open(self, sealed: bytes, context: str) -> bytes:
        """Decrypt a file sealed for ``context`` (under either key while rotating); raise
        Unsealable if any byte changed."""
        try:
            return self.open_current(sealed, context)
        except Unsealable:
            if self.old is None:
                raise
            return self.old.open_current(sealed, context)

    def reseal(self, sealed: bytes, context: str) -> tuple[bytes, bytes | None]:
        """Return ``(plaintext, sealed under this key)``; the latter is None if it already was."""
        try:
            return self.open_current(sealed, context), None
        except Unsealable:
            if self.old is None:
                raise
            plain = self.old.open_current(sealed, context)
            return plain, self.seal(plain, context)

    def open_current(self, sealed: bytes, context: str) -> bytes:
        """Decrypt a file sealed for ``context`` under this key only."""
        if not sealed.startswith(MAGIC):
            raise Unsealable("not a sealed file")
        body = sealed[len(MAGIC):]
        try:
            return self._aead.decrypt(body[:_NONCE], body[_NONCE:], context.encode())
        except InvalidTag:
            raise Unsealable("sealed file altered") from None


def sealer() -> Sealer:
    """Return the current app's sealer (keys derived from DATA_KEY, and DATA_KEY_OLD while
    rotating, once per app)."""
    found = current_app.extensions.get(_EXTENSION)
    if found is None:
        old = current_app.config.get("DATA_KEY_OLD")
        found = current_app.extensions[_EXTENSION] = Sealer(
            decode_data_key(current_app.config["DATA_KEY"]),
            decode_data_key(old, "FLASK_DATA_KEY_OLD") if old else None)
    return found  # type: ignore[no-any-return]
