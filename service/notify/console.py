"""The console channel for `make demo`: it accepts every send, and console_page shows them."""

from __future__ import annotations

from service.notify.channel import Outgoing, SendResult

NAME = "console"


class ConsoleChannel:
    """Accept every message; the console page shows it."""

    name = NAME

    def send_card(self, msg: Outgoing) -> SendResult:
        return SendResult(f"console-{msg.outbox_id}")

    def send_reminder(self, msg: Outgoing) -> SendResult:
        return SendResult(f"console-{msg.outbox_id}")

    def send_notice(self, msg: Outgoing) -> SendResult:
        return SendResult(f"console-{msg.outbox_id}")

    def send_otp(self, msg: Outgoing) -> SendResult:
        return SendResult(f"console-{msg.outbox_id}")
