"""The shape both SMS providers share: approved templates per message kind, one rate limit.

Kept apart from channel.py because it takes send slots from ratelimit, which itself raises
channel's Deferred.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.notify import ratelimit
from service.notify.channel import (
    NotReachable,
    Outgoing,
    PermanentFailure,
    SendResult,
    required,
)


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
        if not msg.phone:
            raise NotReachable("党员没有登记手机号码", code="no_phone")
        ratelimit.acquire(self.name)  # shared by every worker: NOTIFY_RATE_<CHANNEL>
        return self._post(msg, template)

    def _post(self, msg: Outgoing, template: str) -> SendResult:
        raise NotImplementedError

