"""Small guards shared by the member pages we own: same-site redirects and form tokens."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import request, session

from service.errors import Forbidden

CSRF_KEY = "member_csrf"


def safe_next(value: str | None, default: str = "/") -> str:
    """Return ``value`` if it is a path on this site, else ``default`` (no open redirects).

    Browsers read "//host", "/\\host" and paths with tabs or newlines as another site, so
    only a plain absolute path with no scheme, host, backslash or control character passes.
    """
    if not value or len(value) > 2000:
        return default
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def csrf_token() -> str:
    """Return this browser's token for the member forms (made on first use)."""
    token = session.get(CSRF_KEY)
    if not token:
        token = session[CSRF_KEY] = secrets.token_urlsafe(16)
    return str(token)


def check_csrf() -> None:
    """Refuse a form post that does not carry this browser's token."""
    given, expected = request.form.get("csrf", ""), str(session.get(CSRF_KEY) or "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Forbidden("页面已过期，请返回重新打开后再试")


def client() -> tuple[str | None, str | None]:
    """Return the caller's IP address and user agent, as evidence records them."""
    return request.remote_addr, request.headers.get("User-Agent")
