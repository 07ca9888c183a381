"""The one interface every channel implements, what a send returns, and how a send fails.

The dispatcher only ever sees these four error classes; each channel maps its provider's
codes onto them (WeChat 43004 → NotReachable, 45009 → Deferred, 40001 → TokenExpired, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Outgoing:
    """One message as a channel needs it, built from an outbox row at send time.

    ``phone``/``openid`` are resolved from the member just before sending and never stored
    in the outbox; ``outbox_id`` is the correlation id given to providers that echo one.
    """

    outbox_id: int
    idempotency_key: str
    kind: str
    member_id: int | None
    name: str
    text: str  # the whole message as a person reads it (console, logs never)
    params: dict[str, str] = field(default_factory=dict)  # provider template parameters
    link: str | None = None
    phone: str | None = None
    openid: str | None = None


@dataclass(frozen=True)
class SendResult:
    """A provider accepted the message; ``provider_msg_id`` is its id for receipts."""

    provider_msg_id: str | None
    raw: dict[str, Any] = field(default_factory=dict)


class SendError(Exception):
    """A send did not go through; ``code`` is the provider's, ``message`` is for the admin."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class NotReachable(SendError):
    """The member cannot be reached this way (not following, refused, bad number): next channel."""


class Deferred(SendError):
    """Quota or rate limit, or a transient outage: try the same channel again later."""

    def __init__(self, message: str, *, code: str | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class TokenExpired(SendError):
    """The access token was refused; the channel refreshes once and retries once itself."""


class PermanentFailure(SendError):
    """Refused for good (bad template, no balance, bad signature): park it for an admin."""


def required(config: Mapping[str, Any], key: str) -> str:
    """Return a setting a channel cannot work without; LookupError (message parked) if unset."""
    value = config.get(key)
    if not value:
        raise LookupError(f"未配置 {key}")
    return str(value)


class Channel(Protocol):
    """Send a card, a reminder, or a notice to an admin; raise a SendError subclass on failure."""

    name: str

    def send_card(self, msg: Outgoing) -> SendResult: ...

    def send_reminder(self, msg: Outgoing) -> SendResult: ...

    def send_notice(self, msg: Outgoing) -> SendResult: ...

