"""The console channel for `make demo`: a send is shown on a local page instead of a phone.

The messages are the outbox rows themselves (channel "console", sent), composed again for the
page, so nothing new is stored. The page lists every card link it shows, so it answers only
in demo mode (``DEMO``), and there only where "console" is among the channels.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import select

from service.extensions import db
from service.models import OutboxMessage
from service.models.outbox import DELIVERED, SENT, STATE_LABELS
from service.notify.channel import Outgoing, SendResult
from service.notify.messages import compose
from service.notify.router import ladder

NAME = "console"
PAGE_SIZE = 200

bp = Blueprint("console", __name__)


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


@bp.get("/console")
def messages() -> str:
    """List the latest messages the console channel sent, newest first."""
    if not current_app.config["DEMO"] or NAME not in ladder():
        abort(404)
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.channel == NAME,
                                    OutboxMessage.state.in_((SENT, DELIVERED)))
        .order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE)).all()
    shown = []
    for row in rows:
        try:
            msg = compose(row)
        except LookupError:
            continue  # the member or card is gone; nothing to show
        # Link within this server, whatever PUBLIC_BASE_URL says the phones would see.
        href = urlsplit(msg.link).path if msg.link else None
        shown.append((row, msg, STATE_LABELS[row.state], href))
    return render_template("console.html", shown=shown)
