"""Admin-side reminders: deadline digests of who is still missing, and open correction requests.

Digests go to each branch's admins (masked names of who is missing) and to the committee
admins over the campaign (counts per branch) on the working days the policy names before the
deadline. An open correction request is the admin's to answer, so the admin is reminded
rather than the member: the branch admin after ``correction_days[0]`` working days, then the
branch and committee admins as the notice's 10-working-day (branch reports to the committee)
and 15-working-day (committee maintains the record) limits come near. A deadline digest also
carries the evidence ledger's anchor (its head then), so each one given out can later show the
ledger was not cut short. Never commits.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from sqlalchemy import select

from service.campaign import notices
from service.campaign.reminders import deadline_digest_due, in_quiet_hours, policy_or_default
from service.campaign.workdays import is_workday, workdays_between
from service.clock import to_local
from service.evidence import anchors
from service.extensions import db
from service.models import Campaign, CampaignMember, CorrectionRequest, Member, Org
from service.models.campaign import DISPUTED, DRAFT, OPEN, PENDING, UNREACHABLE
from service.models.correction import OPEN as REQUEST_OPEN

NAMES_SHOWN = 10
BRANCH_LIMIT, COMMITTEE_LIMIT = 10, 15  # working days, the 2018 回头看 notice


def send_digests(now: datetime) -> Counter[str]:
    """Queue today's deadline digests for every open campaign whose digest is due."""
    done: Counter[str] = Counter()
    local = to_local(now)
    for campaign in db.session.scalars(select(Campaign).where(Campaign.status == OPEN)):
        policy = policy_or_default(campaign.reminder_policy)
        if not admin_hours(local, policy):
            continue
        left = deadline_digest_due(policy, campaign.deadline, local.date())
        if left is not None:
            done["digests"] += _digest(campaign, left, local.date().isoformat())
    return done


def admin_hours(local: datetime, policy: dict) -> bool:
    """Return whether notices to admins may be queued now: from the digest hour, not quiet."""
    return (local.hour >= policy["digest_hour"]
            and not in_quiet_hours(local.hour, policy["quiet_hours"]))


def _digest(campaign: Campaign, left: int, day: str) -> int:
    missing: dict[int, list[str]] = defaultdict(list)
    for org_id, name, state, note in db.session.execute(
        select(Member.org_id, Member.name, CampaignMember.state, CampaignMember.note)
        .join(Member, Member.id == CampaignMember.member_id)
        .where(CampaignMember.campaign_id == campaign.id,
               CampaignMember.state.in_((DRAFT, PENDING, DISPUTED, UNREACHABLE)))
        .order_by(Member.id)
    ):
        if state != UNREACHABLE or not (note or "").strip():
            missing[org_id].append(name)
    when = "今天截止" if left == 0 else f"距截止还有{left}个工作日"
    head = f"{campaign.name}（{campaign.deadline:%m月%d日}截止）{when}"
    key = f"digest:{campaign.id}:{day}"
    anchor = anchors.current()
    stamp = f"（{anchors.LABEL} {anchor.short}）"
    extra = {"campaign_id": campaign.id, "anchor": anchor.full}
    sent = 0
    orgs = {o.id: o for o in db.session.scalars(select(Org).where(Org.id.in_(list(missing))))}
    for org_id, names in sorted(missing.items()):
        shown = "、".join(notices.mask_name(n) for n in names[:NAMES_SHOWN])
        more = f"等{len(names)}人" if len(names) > NAMES_SHOWN else f"共{len(names)}人"
        text = f"{head}，本支部尚未完成：{shown}{more}。详见管理页面。{stamp}"
        sent += len(notices.notify_admins(f"{key}:b", notices.branch_admins(org_id), text,
                                          org=orgs[org_id], audience="branch", **extra))
    root = db.session.get(Org, campaign.org_id)
    assert root is not None
    total = sum(len(n) for n in missing.values())
    worst = sorted(missing.items(), key=lambda kv: -len(kv[1]))[:5]
    parts = "、".join(f"{orgs[o].name}{len(n)}人" for o, n in worst)
    text = (f"{head}，尚有{total}人未完成" + (f"，较多的有：{parts}" if parts else "") + "。"
            if total else f"{head}，全部党员已完成确认。") + stamp
    sent += len(notices.notify_admins(f"{key}:c", notices.committee_admins(root), text,
                                      org=root, audience="committee", **extra))
    return sent


def remind_corrections(now: datetime) -> Counter[str]:
    """Remind admins of correction requests left open, once per threshold reached."""
    done: Counter[str] = Counter()
    local = to_local(now)
    rows = db.session.execute(
        select(CorrectionRequest, Campaign).join(
            CampaignMember, CampaignMember.id == CorrectionRequest.campaign_member_id)
        .join(Campaign, Campaign.id == CampaignMember.campaign_id)
        .where(CorrectionRequest.status == REQUEST_OPEN, Campaign.status == OPEN,
               CampaignMember.state == DISPUTED)).all()
    for request, campaign in rows:
        policy = policy_or_default(campaign.reminder_policy)
        if not admin_hours(local, policy) or not is_workday(local.date()):
            continue
        age = workdays_between(to_local(request.created_at).date(), local.date())
        reached = [i for i, d in enumerate(policy["correction_days"]) if age >= d]
        if reached:
            done["corrections"] += _remind_request(request, campaign, reached[-1], age)
    return done


def _remind_request(request: CorrectionRequest, campaign: Campaign, level: int, age: int) -> int:
    # Only the highest threshold reached is sent: after downtime, one notice, not a burst.
    key = f"corr:{request.id}:{level}"
    org = db.session.get(Org, request.org_id)
    member = db.session.get(Member, request.member_id)
    assert org is not None and member is not None
    who = f"党员{notices.mask_name(member.name)}的信息修改申请已{age}个工作日未处理"
    if age >= COMMITTEE_LIMIT - 2:
        text = f"{who}，基层党委须在{COMMITTEE_LIMIT}个工作日内完成维护，请尽快处理。"
    else:
        text = f"{who}，请党支部在{BRANCH_LIMIT}个工作日内核实并报告基层党委。"
    extra = {"campaign_id": campaign.id, "correction_id": request.id}
    sent = notices.notify_admins(f"{key}:b", notices.branch_admins(org.id), text, org=org,
                                 audience="branch", **extra)
    if level > 0:
        sent += notices.notify_admins(f"{key}:c", notices.committee_admins(org), text,
                                      org=org, audience="committee", **extra)
    return len(sent)
