"""The console page for `make demo`: what the console channel "sent", as a phone would show it.

The messages are the outbox rows themselves (channel "console", sent), composed again for the
page, so nothing new is stored. The page lists every card link it shows, so it answers only
in demo mode (``DEMO``), and there only where "console" is among the channels.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from service.extensions import db
from service.models import Member, Org, OutboxMessage
from service.models.outbox import DELIVERED, SENT, STATE_LABELS
from service.notify.console import NAME
from service.notify.messages import compose
from service.notify.router import ladder

PAGE_SIZE = 200

bp = Blueprint("console", __name__)


@bp.get("/console")
def messages() -> str:
    """List the latest messages the console channel sent, newest first, optionally only those
    to one branch's members (``?branch=<org id>``) or to members whose name contains ``?name=``.
    """
    if not current_app.config["DEMO"] or NAME not in ladder():
        abort(404)
    branch_id = request.args.get("branch", type=int)
    name = (request.args.get("name") or "").strip()[:64]
    shown_rows = (OutboxMessage.channel == NAME, OutboxMessage.state.in_((SENT, DELIVERED)))
    query = select(OutboxMessage).where(*shown_rows)
    if branch_id or name:  # a filter means messages to members; notices to admins drop out
        query = query.join(Member, Member.id == OutboxMessage.member_id)
        if branch_id:
            query = query.where(Member.org_id == branch_id)
        if name:
            query = query.where(Member.name.contains(name, autoescape=True))
    rows = db.session.scalars(query.order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE)).all()
    shown = []
    for row in rows:
        try:
            msg = compose(row)
        except LookupError:
            continue  # the member or card is gone; nothing to show
        # Link within this server, whatever PUBLIC_BASE_URL says the phones would see.
        href = urlsplit(msg.link).path if msg.link else None
        shown.append((row, msg, STATE_LABELS[row.state], href))
    messaged = select(Member.org_id).join(OutboxMessage, OutboxMessage.member_id == Member.id
                                          ).where(*shown_rows).distinct()
    branches = db.session.execute(
        select(Org.id, Org.name).where(Org.id.in_(messaged)).order_by(Org.id)).all()
    return render_template("console.html", shown=shown, branches=branches, branch_id=branch_id,
                           name=name)
