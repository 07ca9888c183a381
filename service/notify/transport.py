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
    return request("POST", url, body, headers, timeout)


def request(method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float,
            *, service: str = "服务商", retry_stale: bool = False) -> tuple[int, bytes]:
    """Send one request over this thread's kept-alive connection; return status and body.

    With ``retry_stale`` a request that fails at once on a reused connection the server had
    closed while idle is made once more on a new one (for calls safe to repeat).
    """
    parts = urlsplit(url)
    target = f"{parts.path or '/'}?{parts.query}" if parts.query else (parts.path or "/")
    for fresh in (False, True):
        conn, reused = connection(parts.scheme, parts.netloc, timeout)
        try:
            conn.request(method, target, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except TimeoutError as exc:
            drop(parts.scheme, parts.netloc)
            raise HttpFailure(f"{service}响应超时", code="timeout") from exc
        except (OSError, http.client.HTTPException) as exc:
            drop(parts.scheme, parts.netloc)
            if retry_stale and reused and not fresh and isinstance(exc, _STALE):
                continue
            raise HttpFailure(f"无法连接{service}（{type(exc).__name__}）", code="network") from exc
        if response.getheader("Connection", "").lower() == "close":
            drop(parts.scheme, parts.netloc)
        return response.status, data
    raise AssertionError("unreachable")


_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class _Pool(dict[tuple[str, str, float], http.client.HTTPConnection]):
    """This thread's kept-alive connections, closed when the thread's storage goes away.

    Without that, a finished worker thread's sockets would be closed only by the garbage
    collector, with a ResourceWarning, whenever it ran.
    """

    def close_all(self) -> None:
        while self:
            self.popitem()[1].close()

    def __del__(self) -> None:
        self.close_all()


def _pool() -> _Pool:
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = _Pool()
    return pool


def connection(scheme: str, netloc: str,
               timeout: float) -> tuple[http.client.HTTPConnection, bool]:
    """Return this thread's connection to ``netloc`` and whether it was used before.

    http.client connections are not thread-safe, so each thread keeps its own per host.
    """
    pool = _pool()
    key = (scheme, netloc, timeout)
    if key in pool:
        return pool[key], True
    cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    pool[key] = cls(netloc, timeout=timeout)
    return pool[key], False


def drop(scheme: str, netloc: str) -> None:
    """Close and forget this thread's connections to ``netloc`` (after an error or close)."""
    pool = _pool()
    for key in [k for k in pool if k[:2] == (scheme, netloc)]:
        pool.pop(key).close()


def close_all() -> None:
    """Close every connection this thread keeps (a worker stopping, a test ending)."""
    _pool().close_all()

