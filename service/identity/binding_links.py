"""Binding links: the page where the holder of a WeChat openid proves which member they are.

Binding links carry the openid the member is binding, signed and short-lived, so a link
forwarded to someone else expires before it can be misused and cannot be altered.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from service.errors import ServiceError
from service.links import public_base

BIND_SALT = "bind-link"
BIND_MAX_AGE = 30 * 60


def _binder() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=BIND_SALT)


def binding_link(channel: str, openid: str, scene: str) -> str:
    """Return the page where the holder of ``openid`` proves which member they are."""
    token = _binder().dumps({"ch": channel, "o": openid, "s": scene})
    return f"{public_base()}/bind/{token}"


def load_binding_token(token: str, max_age: int = BIND_MAX_AGE) -> dict[str, Any]:
    """Return ``{"channel", "openid", "scene"}`` from a binding link, or refuse it."""
    try:
        data = _binder().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise ServiceError("绑定链接已过期，请重新扫码") from exc
    except BadSignature as exc:
        raise ServiceError("绑定链接无效") from exc
    return {"channel": data["ch"], "openid": data["o"], "scene": data["s"]}
