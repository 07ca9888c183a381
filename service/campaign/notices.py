"""Notices to admins and branch secretaries: who receives them, and how they are queued.

AdminUser has no phone or openid, so a notice is an outbox NOTICE row addressed in its
payload (``admin_user_id`` for an admin, ``org_id`` + ``audience`` "secretary"/"branch" for a
branch without an account); the admin pages list an admin's notices from those rows, and the
channel ``REMINDER_NOTICE_CHANNEL`` (default "console") only marks them posted, so the demo's
console page shows them too. Texts are short Chinese with names masked.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from service.extensions import db
from service.models import AdminUser, Org
from service.models.admin_user import BRANCH_ADMIN, COMMITTEE_ADMIN
from service.models.outbox import NOTICE, OutboxMessage
from service.notify import outbox

DEFAULT_NOTICE_CHANNEL = "console"


def mask_name(name: str) -> str:
    """Return a name with its middle (or, for two characters, its last) character starred."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name or "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def branch_admins(org_id: int) -> list[AdminUser]:
    """Return the active branch admins of exactly this org."""
    return list(db.session.scalars(
        select(AdminUser).where(AdminUser.org_id == org_id, AdminUser.role == BRANCH_ADMIN,
                                AdminUser.is_active.is_(True)).order_by(AdminUser.id)))


def committee_admins(org: Org) -> list[AdminUser]:
    """Return the active committee admins whose scope covers ``org`` (its org or above)."""
    ids = [int(p) for p in org.path.strip("/").split("/") if p]
    return list(db.session.scalars(
        select(AdminUser).where(AdminUser.org_id.in_(ids), AdminUser.role == COMMITTEE_ADMIN,
                                AdminUser.is_active.is_(True)).order_by(AdminUser.id)))


def notify_admins(key: str, admins: list[AdminUser], text: str, *, org: Org,
                  audience: str, **extra: Any) -> list[OutboxMessage]:
    """Queue ``text`` once per admin (key + ":a{id}"), or once to the org when it has none.

    Return the rows queued by this call (none when they were queued before).
    """
    if not admins:
        to = f"{org.name}（{'书记' if audience == 'secretary' else '管理员'}）"
        rows = [post(f"{key}:o{org.id}", to=to, text=text, org_id=org.id, audience=audience,
                     **extra)]
    else:
        rows = [post(f"{key}:a{a.id}", to=a.display_name, text=text, org_id=org.id,
                     audience=audience, admin_user_id=a.id, **extra) for a in admins]
    return [r for r in rows if r is not None]


def notify_secretary(key: str, org: Org, text: str, **extra: Any) -> OutboxMessage | None:
    """Queue a notice to the branch secretary (named on the org; read on the branch's pages)."""
    to = f"{org.name}书记{org.secretary or ''}"
    return post(key, to=to, text=text, org_id=org.id, audience="secretary", **extra)


def post(key: str, *, to: str, text: str, **payload: Any) -> OutboxMessage | None:
    """Queue one notice under a deterministic key; None if it was queued before."""
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)):
        return None
    channel = current_app.config.get("REMINDER_NOTICE_CHANNEL") or DEFAULT_NOTICE_CHANNEL
    return outbox.enqueue(NOTICE, channel=channel, key=key,
                          payload={"to": to, "text": text, **payload})
