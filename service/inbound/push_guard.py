"""Guards shared by the provider push endpoints: a bounded body and the shared push token."""

from __future__ import annotations

import hmac

from flask import abort, current_app, request


def read_body(limit: int) -> bytes:
    """Return the request body, or answer 413 when it is longer than ``limit`` bytes."""
    if request.content_length is not None and request.content_length > limit:
        abort(413)
    body = request.stream.read(limit + 1)  # chunked bodies carry no length: read one byte more
    if len(body) > limit:
        abort(413)
    return body


def require_token(setting: str) -> None:
    """Refuse the push unless it carries ``?token=`` equal to the configured secret.

    SMS providers do not sign their pushes, so the address itself is the secret: the
    endpoint stays closed (404) until one is configured.
    """
    secret = current_app.config.get(setting)
    if not secret:
        abort(404)
    supplied = request.args.get("token", "")
    if not hmac.compare_digest(supplied.encode(), str(secret).encode()):
        abort(403)
