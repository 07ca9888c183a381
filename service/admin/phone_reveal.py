"""Full phone numbers for the staff who make the calls (the collector's member page, a call task,
a correction): each reveal is scope-checked, audited and counted against an hourly allowance."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from flask import current_app
from sqlalchemy import select

from service import throttle
from service.admin import scope
from service.admin.auth import Requester, requester
from service.campaign.corrections import proposed_values
from service.clock import format_local
from service.errors import Conflict
from service.extensions import db
from service.models import AdminUser, Campaign, CampaignMember, CorrectionRequest, Member
from service.models.campaign import OPEN, SETTLED_STATES
from service.models.correction import OPEN as REQUEST_OPEN
from service.records.fields import MEMBER_LABELS
from service.unit_of_work import run_unit

PHONE_KEYS = ("mobile", "landline")


def count_reveal(user_id: int, who: Requester, action: str, **detail: Any) -> None:
    """Count one reveal against the account's hourly allowance and audit it, or refuse it."""
    key = f"phone-reveal:u{user_id}"
    until = throttle.locked_until(key)
    if until is not None:
        raise throttle.Throttled(
            f"查看完整号码的次数已达每小时上限，请于{format_local(until, '%H:%M')}后再试")
    allowance = current_app.config["ADMIN_PHONE_REVEALS_PER_HOUR"]
    # Every reveal counts as a "failure": the one that uses up the allowance locks the rest
    # of the hour, and it is still shown.
    throttle.fail(key, throttle.Limit(allowance, timedelta(hours=1), timedelta(hours=1)))
    who.audit(action, **detail)


def phones_of(member: Member) -> dict[str, str]:
    """Return {label: full number} of the member's mobile and landline that are set."""
    return {MEMBER_LABELS[k]: v for k in PHONE_KEYS if (v := getattr(member, k))}


def unsettled(member_id: int) -> bool:
    """Return whether the member still has a card to settle in an open campaign."""
    return db.session.scalar(
        select(CampaignMember.id).join(Campaign, Campaign.id == CampaignMember.campaign_id)
        .where(CampaignMember.member_id == member_id, Campaign.status == OPEN,
               CampaignMember.state.not_in(SETTLED_STATES)).limit(1)) is not None


def reveal_member(user: AdminUser, member: Member, **detail: Any) -> dict[str, str]:
    """Return the full numbers of a member still to settle, after counting and auditing."""
    scope.require(user, "view_full_phone")
    if not unsettled(member.id):
        raise Conflict("该党员已完成确认，不再显示完整号码")
    run_unit(partial(count_reveal, user.id, requester(), "member.view_phone",
                     target_type="member", target_id=member.id, **detail))
    return phones_of(member)


def reveal_proposed(user: AdminUser, req: CorrectionRequest) -> dict[str, dict[str, str]]:
    """Return the proposed and current full numbers of an open correction, counted and audited."""
    scope.require(user, "view_full_phone")
    if req.status != REQUEST_OPEN:
        raise Conflict("该修改申请已处理，不再显示完整号码")
    run_unit(partial(count_reveal, user.id, requester(), "correction.view_phone",
                     target_type="correction_request", target_id=req.id))
    member = db.session.get(Member, req.member_id)
    proposed = {k: v for k, v in proposed_values(req).items() if k in PHONE_KEYS and v}
    return {"proposed": proposed, "current": phones_of(member) if member else {}}
