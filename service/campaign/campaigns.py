"""Campaign use cases: start one over an org subtree, and report its progress."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from service import audit
from service.campaign import workflow
from service.campaign.workflow import WAITING_NOTE
from service.clock import today_local
from service.errors import Conflict, NotFound, ServiceError
from service.extensions import db
from service.models import Campaign, CampaignMember, Member, Org
from service.models.campaign import (
    CONFIRMED,
    OPEN,
    PROXY_CONFIRMED,
    STATE_LABELS,
    UNREACHABLE,
)
from service.models.member import ACTIVE
from service.roster import held
from service.roster.orgs import in_subtree


def start_campaign(
    org: Org, deadline: date, *, actor: str, name: str | None = None, submit: bool = True,
    today: date | None = None,
) -> Campaign:
    """Open a campaign over ``org`` and everything below it, one row per active member.

    With ``submit`` every member is put to confirmation at once (a card each); otherwise
    they wait in draft until an admin submits them one by one. Members held for correction
    (待修正) are left out; they join when a fix releases them (``enrol_new_members``).
    Members 待补充 join but wait in draft without a card until their gaps are filled; a
    collector's recorded attempt (unreachable with a note) accounts for them meanwhile.
    """
    if today is not None and deadline < today:
        raise ServiceError(f"截止日期 {deadline.isoformat()} 早于今天")
    rows = db.session.execute(
        select(Member.id, Member.to_supplement).join(Org, Org.id == Member.org_id)
        .where(in_subtree(org), Member.record_status == ACTIVE, Member.held.is_(False))
        .order_by(Member.id)
    ).all()
    member_ids = [m for m, _ in rows]
    waiting = {m for m, to_supplement in rows if to_supplement}
    if not member_ids:
        raise ServiceError(f"“{org.name}”及其下级党组织没有党员，无法开展信息确认")
    busy = db.session.scalar(
        select(Campaign.name).join(CampaignMember, CampaignMember.campaign_id == Campaign.id)
        .where(Campaign.status == OPEN, CampaignMember.member_id.in_(member_ids)).limit(1)
    )
    if busy is not None:
        raise Conflict(f"部分党员已在进行中的信息确认工作“{busy}”中，请先结束该工作")
    campaign = Campaign(
        name=name or f"{org.name}党员信息确认", org_id=org.id, deadline=deadline,
        reminder_policy={}, created_by=actor,
    )
    db.session.add(campaign)
    db.session.flush()
    db.session.add_all(CampaignMember(campaign_id=campaign.id, member_id=m,
                                      note=WAITING_NOTE if submit and m in waiting else None)
                       for m in member_ids)
    db.session.flush()
    audit.record("campaign.start", actor=actor, target_type="campaign", target_id=campaign.id,
                 org_id=org.id, deadline=deadline.isoformat(), members=len(member_ids))
    if submit:
        for member_id in member_ids:
            if member_id not in waiting:
                workflow.submit(campaign.id, member_id, actor=actor)
    return campaign


def enrol_new_members(member_ids: list[int], *, actor: str) -> int:
    """Put members added after a campaign started into every open campaign covering them.

    A roster imported mid-campaign must not leave its new people out of the count; each is
    submitted at once (a card), as a started campaign's members were, except those 待补充,
    who wait without one. Members held for
    correction, or already in an open campaign, are skipped. Return how many joined.
    """
    campaigns = list(db.session.scalars(select(Campaign).where(Campaign.status == OPEN)))
    if not campaigns or not member_ids:
        return 0
    rows = db.session.execute(
        select(Member.id, Org.path, Member.to_supplement).join(Org, Org.id == Member.org_id)
        .where(Member.id.in_(member_ids), Member.record_status == ACTIVE,
               Member.held.is_(False),
               Member.id.not_in(select(CampaignMember.member_id).join(Campaign).where(
                   Campaign.status == OPEN)))).all()
    joined = 0
    for member_id, path, to_supplement in rows:
        covering = [c for c in campaigns if path.startswith(c.org.path)]
        if not covering:
            continue
        # Campaigns never share members, so the nearest one over the member's branch takes them.
        campaign = max(covering, key=lambda c: len(c.org.path))
        db.session.add(CampaignMember(campaign_id=campaign.id, member_id=member_id,
                                      note=WAITING_NOTE if to_supplement else None))
        db.session.flush()
        if not to_supplement:
            workflow.submit(campaign.id, member_id, actor=actor)
        joined += 1
    return joined


def release_held(member_id: int, *, actor: str) -> bool:
    """Release a member held for correction if its record now passes the validators, and
    enrol it where a campaign is open (a card). Return whether it was released."""
    member = db.session.get(Member, member_id)
    if member is None or not held.recheck(member, today_local()):
        return False
    db.session.flush()
    enrol_new_members([member_id], actor=actor)
    return True


def find_campaign(campaign_id: int | None = None, org: Org | None = None) -> Campaign:
    """Return a campaign by id, or the latest one over ``org``, or the latest of all."""
    if campaign_id is not None:
        campaign = db.session.get(Campaign, campaign_id)
    else:
        query = select(Campaign).order_by(Campaign.id.desc()).limit(1)
        if org is not None:
            query = query.where(Campaign.org_id == org.id)
        campaign = db.session.scalar(query)
    if campaign is None:
        raise NotFound("没有找到信息确认工作" + (f"（{org.name}）" if org else ""))
    return campaign


@dataclass
class Progress:
    """How far a campaign is: counts per state, and who is not done yet."""

    total: int
    counts: dict[str, int]
    unfinished: list[int] = field(default_factory=list)  # member ids

    @property
    def complete(self) -> bool:
        """Return whether every member is confirmed, proxy-confirmed or unreachable with a note."""
        return not self.unfinished


def progress(campaign: Campaign) -> Progress:
    """Count members per state; an unreachable member is done only with a note."""
    rows = db.session.execute(
        select(CampaignMember.member_id, CampaignMember.state, CampaignMember.note)
        .where(CampaignMember.campaign_id == campaign.id).order_by(CampaignMember.member_id)
    ).all()
    counts = Counter(r.state for r in rows)
    unfinished = [
        r.member_id for r in rows
        if not (r.state in (CONFIRMED, PROXY_CONFIRMED)
                or (r.state == UNREACHABLE and (r.note or "").strip()))
    ]
    return Progress(len(rows), {s: counts.get(s, 0) for s in STATE_LABELS}, unfinished)
