"""Writing the audit log: one call per audited action, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select

from service.extensions import db
from service.models import (
    AuditLog,
    CallTask,
    Campaign,
    CampaignMember,
    CorrectionRequest,
    Member,
)
from service.models.sampling import SamplingItem, SamplingRun

# The org an action on each kind of target touched: the viewer shows the entry to the
# accounts whose scope covers it (and an org department's entries only to those). Not an
# admin account: signing in touches no org.
_ORG_OF: dict[str, Any] = {
    "member": select(Member.org_id).where(Member.id == bindparam("key")),
    "campaign": select(Campaign.org_id).where(Campaign.id == bindparam("key")),
    "campaign_member": select(Member.org_id).join(
        CampaignMember, CampaignMember.member_id == Member.id)
    .where(CampaignMember.id == bindparam("key")),
    "call_task": select(CallTask.org_id).where(CallTask.id == bindparam("key")),
    "correction_request": select(CorrectionRequest.org_id)
    .where(CorrectionRequest.id == bindparam("key")),
    "sampling_run": select(SamplingRun.scope_org_id).where(SamplingRun.id == bindparam("key")),
    "sampling_item": select(SamplingItem.org_id).where(SamplingItem.id == bindparam("key")),
}


def record(
    action: str,
    *,
    actor: str,
    target_type: str | None = None,
    target_id: object = None,
    ip: str | None = None,
    user_agent: str | None = None,
    org: int | None = None,
    **detail: Any,
) -> AuditLog:
    """Add an audit entry; the caller's commit makes it durable together with the action.

    ``org``: the org the action touched, when the target does not say (an export of one
    org's members); by default it is found from the target (a member's branch, an org).
    """
    entry = AuditLog(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        org_id=org if org is not None else touched_org(target_type, target_id),
        detail=detail,
        ip=ip,
        user_agent=(user_agent or "")[:255] or None,
    )
    db.session.add(entry)
    return entry


def touched_org(target_type: str | None, target_id: object) -> int | None:
    """Return the org an action on this target touched, or None (none, or not one org)."""
    try:
        key = int(str(target_id))
    except ValueError:
        return None
    if target_type == "org":
        return key
    query = _ORG_OF.get(target_type or "")
    if query is None:
        return None
    with db.session.no_autoflush:
        return db.session.scalar(query, {"key": key})
