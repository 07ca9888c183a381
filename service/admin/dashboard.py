"""The dashboard: campaign progress over the org tree with drill-down, the progress chart,
overdue items, open corrections, dead-lettered messages and open call tasks.

Every number is one aggregate query over the user's scope (no per-org or per-member loops),
so the page stays fast on a 100,000-member roster.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import func, or_, select

from service.admin import chart, scope
from service.admin.auth import login_required, signed_in_user
from service.admin.common import campaign_in_view, campaigns_for, home_org, in_org, local_day
from service.clock import now_utc, to_local, today_local
from service.extensions import db
from service.holidays.coverage import campaign_notice
from service.models import (
    AdminUser,
    CallTask,
    Campaign,
    CampaignMember,
    CorrectionRequest,
    InboxMessage,
    Member,
    Org,
    OutboxMessage,
)
from service.models.call_task import OPEN as TASK_OPEN
from service.models.campaign import SETTLED_STATES, STATE_LABELS
from service.models.correction import OPEN as REQUEST_OPEN
from service.models.inbox import QUEUED as INBOX_QUEUED
from service.models.member import ACTIVE
from service.models.outbox import DEAD

bp = Blueprint("admin_dashboard", __name__, url_prefix="/admin")
CORRECTION_OVERDUE_DAYS = 3  # the notice asks branches to answer a dispute within days
LISTED = 10


@bp.get("/")
@login_required
def index() -> str:
    """Show how the campaign stands below one org (the user's by default)."""
    user = signed_in_user()
    campaigns = campaigns_for(user)
    campaign = campaign_in_view(user, campaigns)
    org_id = request.args.get("org", type=int)
    node = scope.get_org(user, org_id) if org_id else home_org(user, campaign)
    context: dict[str, Any] = {"campaigns": campaigns, "campaign": campaign, "node": node,
                               "crumbs": _crumbs(user, node)}
    if campaign is not None:
        rows, total = _progress(user, campaign, node)
        context.update(rows=rows, total=total, chart=_chart(user, campaign, node, total["all"]),
                       overdue=_overdue(user, campaign, node, total),
                       calendar_notice=(campaign_notice(campaign)
                                        if scope.can(user, "calendar_view") else None))
    context.update(corrections=_corrections(user, node), dead=_dead(user, node),
                   tasks=_tasks(user, node), inbox=_inbox(user, node), held=_held(user, node),
                   to_supplement=_to_supplement(user, node),
                   today=today_local(), now=now_utc())
    return render_template("admin/dashboard.html", **context)


def _crumbs(user: AdminUser, node: Org) -> list[Org]:
    ids = [int(p) for p in node.path.strip("/").split("/") if p]
    orgs = {o.id: o for o in db.session.scalars(scope.org_query(user).where(Org.id.in_(ids)))}
    return [orgs[i] for i in ids if i in orgs]


def _progress(user: AdminUser, campaign: Campaign, node: Org) -> tuple[list[dict[str, Any]],
                                                                       dict[str, Any]]:
    """Count members per state for each child of ``node`` (one grouped query)."""
    counts = db.session.execute(
        select(Org.path, CampaignMember.state, func.count())
        .select_from(CampaignMember)
        .join(Member, Member.id == CampaignMember.member_id)
        .join(Org, Org.id == Member.org_id)
        .where(CampaignMember.campaign_id == campaign.id,
               Org.path.startswith(node.path, autoescape=True), scope.in_scope(Org.id, user))
        .group_by(Org.path, CampaignMember.state)
    ).all()
    children = list(db.session.scalars(
        select(Org).where(Org.parent_id == node.id).order_by(Org.id)))
    buckets: dict[int, Counter[str]] = {c.id: Counter() for c in children}
    own: Counter[str] = Counter()
    for path, state, n in counts:
        rest = path[len(node.path):].strip("/")
        target = buckets.get(int(rest.split("/")[0])) if rest else own
        if target is not None:
            target[state] += n
    with_kids = set(db.session.scalars(
        select(Org.parent_id).where(Org.parent_id.in_([c.id for c in children])).distinct()))
    rows = [_row(c, buckets[c.id], c.id in with_kids) for c in children]
    if own:
        rows.insert(0, _row(node, own, False, label=f"{node.name}（本级）"))
    total = _row(node, sum((r["counts"] for r in rows), Counter()), True)
    return rows, total


def _row(org: Org, counts: Counter[str], has_children: bool, label: str | None = None
         ) -> dict[str, Any]:
    n = sum(counts.values())
    settled = sum(counts[s] for s in SETTLED_STATES)
    return {"org": org, "label": label or org.name, "counts": counts, "all": n,
            "settled": settled, "percent": round(100 * settled / n, 1) if n else 0.0,
            "has_children": has_children,
            "shares": {s: (100 * counts[s] / n if n else 0) for s in STATE_LABELS}}


def _chart(user: AdminUser, campaign: Campaign, node: Org, total: int) -> chart.Chart:
    day = local_day(CampaignMember.state_changed_at)
    per_day: dict[date, int] = {}
    for value, n in db.session.execute(
        select(day, func.count()).select_from(CampaignMember)
        .join(Member, Member.id == CampaignMember.member_id)
        .where(CampaignMember.campaign_id == campaign.id,
               CampaignMember.state.in_(SETTLED_STATES), in_org(Member.org_id, node),
               scope.in_scope(Member.org_id, user))
        .group_by(day)
    ):
        per_day[date.fromisoformat(str(value)[:10])] = n
    start = to_local(campaign.created_at).date()
    return chart.build(per_day, total, start, campaign.deadline, today_local())


def _overdue(user: AdminUser, campaign: Campaign, node: Org, total: dict[str, Any]
             ) -> dict[str, Any]:
    late = today_local() > campaign.deadline
    unfinished = total["all"] - total["settled"] if late else 0
    days_left = (campaign.deadline - today_local()).days
    return {"late": late, "unfinished": unfinished, "days_left": days_left}


def _corrections(user: AdminUser, node: Org) -> dict[str, Any]:
    where = (CorrectionRequest.status == REQUEST_OPEN, in_org(CorrectionRequest.org_id, node))
    query = scope.correction_query(user).where(*where)
    count = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    stale_before = now_utc() - timedelta(days=CORRECTION_OVERDUE_DAYS)
    stale = db.session.scalar(select(func.count()).select_from(
        query.where(CorrectionRequest.created_at < stale_before).subquery())) or 0
    oldest = db.session.execute(
        select(CorrectionRequest, Member.name)
        .join(Member, Member.id == CorrectionRequest.member_id)
        .where(CorrectionRequest.id.in_(query.with_only_columns(CorrectionRequest.id)))
        .order_by(CorrectionRequest.created_at, CorrectionRequest.id).limit(LISTED)
    ).all()
    return {"count": count, "stale": stale, "oldest": oldest, "stale_days": CORRECTION_OVERDUE_DAYS}


def _dead(user: AdminUser, node: Org) -> dict[str, Any]:
    base = (select(OutboxMessage, Member.name).join(Member, Member.id == OutboxMessage.member_id)
            .where(OutboxMessage.state == DEAD, in_org(Member.org_id, node),
                   scope.in_scope(Member.org_id, user)))
    count = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    latest = db.session.execute(
        base.order_by(OutboxMessage.updated_at.desc()).limit(LISTED)).all()
    return {"count": count, "latest": latest}


def _tasks(user: AdminUser, node: Org) -> dict[str, Any]:
    base = scope.call_task_query(user).where(CallTask.status == TASK_OPEN,
                                              in_org(CallTask.org_id, node))
    count = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    overdue = db.session.scalar(select(func.count()).select_from(
        base.where(CallTask.due_at < now_utc()).subquery())) or 0
    rows = db.session.execute(
        select(CallTask, Member).join(Member, Member.id == CallTask.member_id)
        .where(CallTask.id.in_(base.with_only_columns(CallTask.id)))
        .order_by(CallTask.due_at, CallTask.id).limit(LISTED * 2)
    ).all()
    return {"count": count, "overdue": overdue, "rows": rows,
            "can_call": scope.can(user, "close_call_task"),
            "full_phone": scope.can(user, "view_full_phone")}


def _inbox(user: AdminUser, node: Org) -> int:
    """Count the member replies waiting in the admin's queue below ``node`` (and, for those
    who see everything, the replies no org could be found for)."""
    where = in_org(InboxMessage.org_id, node)
    if scope.sees_everything(user):
        where = or_(where, InboxMessage.org_id.is_(None))
    query = scope.inbox_query(user).where(InboxMessage.status == INBOX_QUEUED, where)
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _to_supplement(user: AdminUser, node: Org) -> int:
    """Count the members below ``node`` collected with what is known (待补充): no card until
    their gaps are filled, accounted for once a collector records an attempt."""
    return db.session.scalar(select(func.count(Member.id)).where(
        Member.to_supplement.is_(True), Member.record_status == ACTIVE,
        in_org(Member.org_id, node), scope.in_scope(Member.org_id, user))) or 0


def _held(user: AdminUser, node: Org) -> int:
    """Count the members below ``node`` held for correction (待修正): they get no card yet."""
    return db.session.scalar(select(func.count(Member.id)).where(
        Member.held.is_(True), Member.record_status == ACTIVE, in_org(Member.org_id, node),
        scope.in_scope(Member.org_id, user))) or 0
