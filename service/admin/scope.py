"""Who sees what and who may do what, enforced in the queries themselves.

Reading: ``org_department`` sees every org; everyone else sees their org's subtree
(``Org.path`` prefix: a committee admin their committee and below, a branch admin or collector
their branch). Every admin query starts from a function here, so a row outside the scope is
never loaded; ``get_*`` return 404 for it (not 403: the page must not reveal that it exists).

Writing: ``can(user, action)`` / ``require(user, action)`` with the actions in ``ACTIONS``
(an in-scope row the role may not change → 403).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select, true

from service.errors import Forbidden, NotFound
from service.extensions import db
from service.models import (
    AdminUser,
    Attachment,
    CallTask,
    Campaign,
    CampaignMember,
    CorrectionRequest,
    EvidenceEntry,
    InboxMessage,
    Member,
    Org,
)
from service.models.admin_user import BRANCH_ADMIN, COLLECTOR, COMMITTEE_ADMIN, ORG_DEPARTMENT
from service.roster.orgs import is_top_committee

_FIELD_STAFF = frozenset({COMMITTEE_ADMIN, BRANCH_ADMIN, COLLECTOR})
_MANAGERS = frozenset({COMMITTEE_ADMIN, BRANCH_ADMIN})
ACTIONS: dict[str, frozenset[str]] = {
    # collectors' work: members who are away or cannot be reached
    "proxy_confirm": _FIELD_STAFF,
    "mark_unreachable": _FIELD_STAFF,
    "reopen": _FIELD_STAFF,
    "close_call_task": _FIELD_STAFF,
    "view_full_phone": frozenset({BRANCH_ADMIN, COLLECTOR}),  # they make the calls
    # record keeping
    "edit_member": _MANAGERS,
    "submit": _MANAGERS,
    "resolve_correction": _MANAGERS,
    "view_full_id": frozenset({ORG_DEPARTMENT, COMMITTEE_ADMIN, BRANCH_ADMIN}),
    # the queue of unmatched member replies: collectors and inspectors only read it
    "resolve_inbox": _MANAGERS,
    # imports, exports, review, sampling, audit: adjust here, in one place
    "import": frozenset({COMMITTEE_ADMIN}),
    "export": frozenset({ORG_DEPARTMENT, COMMITTEE_ADMIN, BRANCH_ADMIN}),
    "review": frozenset({ORG_DEPARTMENT, COMMITTEE_ADMIN, BRANCH_ADMIN}),
    "sample": frozenset({ORG_DEPARTMENT}),
    "audit_log": frozenset({ORG_DEPARTMENT, COMMITTEE_ADMIN}),
    # the holiday calendar is shared by every committee: the department only looks
    "calendar_view": frozenset({ORG_DEPARTMENT, COMMITTEE_ADMIN}),
    "calendar_import": frozenset({COMMITTEE_ADMIN}),
}


def can(user: AdminUser, action: str) -> bool:
    """Return whether the user's role may do ``action`` (a key of ``ACTIONS``)."""
    return user.role in ACTIONS[action]


def require(user: AdminUser, action: str) -> None:
    """Refuse (403) an ``action`` the user's role may not do."""
    if not can(user, action):
        raise Forbidden("您的角色无权进行此操作")


def sees_everything(user: AdminUser) -> bool:
    """Return whether the user reads every org (the organisation department)."""
    return user.role == ORG_DEPARTMENT


def visible_org_ids(user: AdminUser) -> Select[Any]:
    """Return a sub-select of the ids of the orgs the user can read."""
    query = select(Org.id)
    if not sees_everything(user):
        query = query.where(Org.path.startswith(user.org.path, autoescape=True))
    return query


def in_scope(org_column: Any, user: AdminUser) -> ColumnElement[bool]:
    """A condition keeping rows whose ``org_column`` (an org id) the user can read."""
    if sees_everything(user):
        return true()
    return org_column.in_(visible_org_ids(user))


def org_query(user: AdminUser) -> Select[Any]:
    """``select(Org)`` of the orgs the user can read."""
    return select(Org).where(in_scope(Org.id, user))


def member_query(user: AdminUser) -> Select[Any]:
    """``select(Member)`` of the members the user can read."""
    return select(Member).where(in_scope(Member.org_id, user))


def campaign_member_query(user: AdminUser) -> Select[Any]:
    """``select(CampaignMember)`` joined to Member, limited to the user's members."""
    return select(CampaignMember).join(Member, Member.id == CampaignMember.member_id).where(
        in_scope(Member.org_id, user))


def correction_query(user: AdminUser) -> Select[Any]:
    """``select(CorrectionRequest)`` of requests addressed to orgs the user can read."""
    return select(CorrectionRequest).where(in_scope(CorrectionRequest.org_id, user))


def call_task_query(user: AdminUser) -> Select[Any]:
    """``select(CallTask)`` of call tasks of the user's branches."""
    return select(CallTask).where(in_scope(CallTask.org_id, user))


def inbox_query(user: AdminUser) -> Select[Any]:
    """``select(InboxMessage)`` of inbox rows of the user's orgs.

    A reply no member's phone matches has no org; it goes to the admins of the top-level
    基层党委 (``is_top_committee``: also those under a county's 党委) and the organisation
    department sees it, because somebody who may act must see it: the department only reads.
    """
    condition = in_scope(InboxMessage.org_id, user)
    if user.role == COMMITTEE_ADMIN and is_top_committee(user.org):
        condition = or_(condition, InboxMessage.org_id.is_(None))
    return select(InboxMessage).where(condition)


def campaign_query(user: AdminUser) -> Select[Any]:
    """``select(Campaign)`` of campaigns covering the user's org or run inside its subtree."""
    if sees_everything(user):
        return select(Campaign)
    above = [int(p) for p in user.org.path.strip("/").split("/") if p]
    return select(Campaign).where(or_(Campaign.org_id.in_(above),
                                      in_scope(Campaign.org_id, user)))


def _one(query: Select[Any], what: str) -> Any:
    row = db.session.scalar(query)
    if row is None:
        raise NotFound(f"{what}不存在或不在您的管理范围内")
    return row


def get_org(user: AdminUser, org_id: int) -> Org:
    """Return an org the user can read, or 404."""
    return _one(org_query(user).where(Org.id == org_id), "党组织")


def get_member(user: AdminUser, member_id: int) -> Member:
    """Return a member the user can read, or 404."""
    return _one(member_query(user).where(Member.id == member_id), "党员")


def get_campaign(user: AdminUser, campaign_id: int) -> Campaign:
    """Return a campaign the user can read, or 404."""
    return _one(campaign_query(user).where(Campaign.id == campaign_id), "信息确认工作")


def get_campaign_member(user: AdminUser, campaign_id: int, member_id: int) -> CampaignMember:
    """Return the user's member's row in a campaign, or 404."""
    return _one(campaign_member_query(user).where(CampaignMember.campaign_id == campaign_id,
                                                  CampaignMember.member_id == member_id),
                "该党员的确认记录")


def get_correction(user: AdminUser, request_id: int) -> CorrectionRequest:
    """Return a correction request the user can read, or 404."""
    return _one(correction_query(user).where(CorrectionRequest.id == request_id), "修改申请")


def get_call_task(user: AdminUser, task_id: int) -> CallTask:
    """Return a call task the user can read, or 404."""
    return _one(call_task_query(user).where(CallTask.id == task_id), "电话联系任务")


def get_inbox_item(user: AdminUser, item_id: int) -> InboxMessage:
    """Return an inbox row the user can read, or 404."""
    return _one(inbox_query(user).where(InboxMessage.id == item_id), "消息")


def get_evidence_entry(user: AdminUser, entry_id: int) -> EvidenceEntry:
    """Return a ledger entry about one of the user's members, or 404."""
    return _one(select(EvidenceEntry).join(Member, Member.id == EvidenceEntry.member_id)
                .where(EvidenceEntry.id == entry_id, in_scope(Member.org_id, user)), "证据记录")


def get_attachment(user: AdminUser, attachment_id: int) -> Attachment:
    """Return a file kept in the ledger about one of the user's members, or 404."""
    return _one(select(Attachment)
                .join(EvidenceEntry, EvidenceEntry.id == Attachment.entry_id)
                .join(Member, Member.id == EvidenceEntry.member_id)
                .where(Attachment.id == attachment_id, in_scope(Member.org_id, user)), "附件")
