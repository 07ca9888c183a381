"""One HTTP POST to a provider over a kept-alive connection, with provider-neutral failures.

Providers are reached only at the endpoint their settings name (tests point these at the
loopback fakes). A request is never retried here: a POST whose answer was lost may have been
accepted, so the outbox decides when to try again.
"""

from __future__ import annotations

import http.client
import threading
from urllib.parse import urlsplit

from service.notify.channel import SendError

_local = threading.local()


class HttpFailure(SendError):
    """The provider could not be reached or answered with a server error; retry later."""


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
    """POST ``body`` to ``url`` and return the status and body of the answer."""
    parts = urlsplit(url)
    conn = _connection(parts.scheme, parts.netloc, timeout)
    try:
        conn.request("POST", parts.path or "/", body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
    except TimeoutError as exc:
        _drop(parts.scheme, parts.netloc)
        raise HttpFailure("服务商响应超时", code="timeout") from exc
    except (OSError, http.client.HTTPException) as exc:
        _drop(parts.scheme, parts.netloc)
        raise HttpFailure(f"无法连接服务商（{type(exc).__name__}）", code="network") from exc
    if response.getheader("Connection", "").lower() == "close":
        _drop(parts.scheme, parts.netloc)
    return response.status, data


def _connection(scheme: str, netloc: str, timeout: float) -> http.client.HTTPConnection:
    pool: dict[tuple[str, str], http.client.HTTPConnection] = _local.__dict__.setdefault(
        "pool", {})
    conn = pool.get((scheme, netloc))
    if conn is None:
        cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        conn = pool[(scheme, netloc)] = cls(netloc, timeout=timeout)
    return conn


def _drop(scheme: str, netloc: str) -> None:
    conn = _local.__dict__.get("pool", {}).pop((scheme, netloc), None)
    if conn is not None:
        conn.close()
