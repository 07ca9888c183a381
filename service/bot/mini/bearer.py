"""The mini-program's session: our own signed bearer token naming the openid, never WeChat's.

code2session's ``session_key`` is dropped on the spot; the token carries only the openid
(a pseudonym of this app) and expires after ``MINI_SESSION_SECONDS``.
"""

from __future__ import annotations

import secrets

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "mini-session"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def issue_token(openid: str) -> str:
    """Return a new bearer token for ``openid``."""
    return str(_serializer().dumps({"o": openid, "n": secrets.token_hex(4)}))


def token_openid(token: str) -> str | None:
    """Return the openid a valid, unexpired token names, or None."""
    try:
        data = _serializer().loads(token, max_age=int(current_app.config["MINI_SESSION_SECONDS"]))
    except BadSignature:  # SignatureExpired included
        return None
    openid = data.get("o") if isinstance(data, dict) else None
    return openid if isinstance(openid, str) and openid else None


def bearer_openid() -> str | None:
    """Return the openid of the request's ``Authorization: Bearer`` token, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > 1000:
        return None
    return token_openid(token.strip())
