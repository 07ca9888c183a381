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


class TemplateSms:
    """Shared shape of the SMS providers: cards and reminders as approved templates, no notices.

    A provider supplies ``templates`` (message kind → template id) and ``_post``; one-time
    codes ("otp") need their own approved verification-code template.
    """

    templates: dict[str, str]

    @staticmethod
    def templates_from(config: Mapping[str, Any], prefix: str) -> dict[str, str]:
        """Return the approved template ids of ``<prefix>_SMS_TEMPLATE_*`` by message kind.

        The card template is required; reminders fall back to it; the code and notice
        templates may be unset (those messages are then parked with the reason).
        """
        card = required(config, f"{prefix}_SMS_TEMPLATE_CARD")
        return {"card": card,
                "reminder": config.get(f"{prefix}_SMS_TEMPLATE_REMINDER") or card,
                "otp": config.get(f"{prefix}_SMS_TEMPLATE_OTP") or "",
                "notice": config.get(f"{prefix}_SMS_TEMPLATE_NOTICE") or ""}
    name: str

    def send_card(self, msg: Outgoing) -> SendResult:
        return self._send(msg, self.templates["card"])

    def send_reminder(self, msg: Outgoing) -> SendResult:
        return self._send(msg, self.templates["reminder"])

    def send_notice(self, msg: Outgoing) -> SendResult:
        if msg.params.get("audience") != "member":
            raise NotReachable("短信渠道不发送管理员通知", code="unsupported")
        # A member notice (the dispute link after an SMS "2") needs its own approved template.
        template = self.templates.get("notice")
        if not template:
            raise PermanentFailure("未配置通知短信模板，无法向党员发送通知",
                                   code="no_notice_template")
        return self._send(msg, template)

    def send_otp(self, msg: Outgoing) -> SendResult:
        template = self.templates.get("otp")
        if not template:
            raise PermanentFailure("未配置验证码短信模板", code="no_otp_template")
        return self._send(msg, template)

    def _send(self, msg: Outgoing, template: str) -> SendResult:
        from service.notify import ratelimit  # imports this module

        if not msg.phone:
            raise NotReachable("党员没有登记手机号码", code="no_phone")
        ratelimit.acquire(self.name)  # shared by every worker: NOTIFY_RATE_<CHANNEL>
        return self._post(msg, template)

    def _post(self, msg: Outgoing, template: str) -> SendResult:
        raise NotImplementedError

