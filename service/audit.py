"""Writing the audit log: one call per audited action, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from service.extensions import db
from service.models import AuditLog


def record(
    action: str,
    *,
    actor: str,
    target_type: str | None = None,
    target_id: object = None,
    ip: str | None = None,
    user_agent: str | None = None,
    **detail: Any,
) -> AuditLog:
    """Add an audit entry; the caller's commit makes it durable together with the action."""
    entry = AuditLog(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        detail=detail,
        ip=ip,
        user_agent=(user_agent or "")[:255] or None,
    )
    db.session.add(entry)
    return entry
