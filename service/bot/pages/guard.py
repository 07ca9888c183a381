"""Small guards shared by the member pages we own: same-site redirects, who is calling."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


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


def client() -> tuple[str | None, str | None]:
    """Return the caller's IP address and user agent, as evidence records them."""
    return request.remote_addr, request.headers.get("User-Agent")
