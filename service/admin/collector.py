"""The collector's page: members still to settle, their full numbers to call, proxy confirmation
with what it keeps (a contact record, a call recording, screenshot or signed paper form, also
added later), unreachable / re-contacted, and call tasks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import and_, func, or_, select

from service.admin import phone_reveal, scope
from service.admin.auth import login_required, requester, signed_in_user
from service.admin.collector_actions import (
    add_attachments,
    close_call_task,
    confirmations_of,
    proxy_confirm,
)
from service.admin.common import campaign_in_view, campaigns_for, paginate
from service.admin.phone_reveal import PHONE_KEYS
from service.admin.record_view import masked
from service.campaign import workflow
from service.clock import LOCAL_TZ, today_local
from service.errors import ServiceError
from service.evidence import proxy_record
from service.evidence.attachments import ALLOWED_TEXT
from service.extensions import db
from service.models import AdminUser, CallTask, Campaign, CampaignMember, Member, Org
from service.models.call_task import OPEN as TASK_OPEN
from service.models.call_task import STATUS_LABELS as TASK_LABELS
from service.models.campaign import DISPUTED, DRAFT, OPEN, PENDING, UNREACHABLE
from service.records.fields import MEMBER_LABELS
from service.unit_of_work import run_unit

bp = Blueprint("admin_collector", __name__, url_prefix="/admin")
TO_SETTLE = (PENDING, DISPUTED, UNREACHABLE)
MAX_FILES = 5


@bp.get("/collector")
@login_required
def index() -> str:
    """List the members of the campaign in view still to settle, open call tasks first."""
    user = signed_in_user()
    campaigns = campaigns_for(user)
    campaign = campaign_in_view(user, campaigns)
    state = request.args.get("state", "")
    q = (request.args.get("q") or "").strip()
    page = None
    if campaign is not None:
        query = (scope.campaign_member_query(user)
                 .join(Org, Org.id == Member.org_id)
                 .where(CampaignMember.campaign_id == campaign.id,
                        _to_settle(state)))
        if q:
            query = query.where(Member.name.contains(q, autoescape=True))
        tasks = (select(func.count(CallTask.id)).where(
            CallTask.campaign_member_id == CampaignMember.id, CallTask.status == TASK_OPEN)
            .correlate(CampaignMember).scalar_subquery())
        rows = query.with_only_columns(CampaignMember.state, CampaignMember.state_changed_at,
                                       Member.id, Member.name, Member.mobile,
                                       Org.name.label("org_name"), tasks.label("tasks"))
        page = paginate(rows.order_by(tasks.desc(), CampaignMember.state_changed_at),
                        select(func.count()).select_from(query.subquery()))
    return render_template("admin/collector.html", campaigns=campaigns, campaign=campaign,
                           page=page, state=state, q=q, to_settle=TO_SETTLE, masked=masked,
                           args={"campaign": campaign.id if campaign else None, "state": state,
                                 "q": q})


@bp.get("/collector/members/<int:member_id>")
@login_required
def member(member_id: int) -> Any:
    """Show what the collector can do for one member in each open campaign."""
    return member_page(member_id)


def member_page(member_id: int, error: str | None = None, status: int = 200,
                phones: dict[str, str] | None = None) -> Any:
    """Render the collector's page of a member, with a refusal or revealed numbers."""
    user = signed_in_user()
    person = scope.get_member(user, member_id)
    memberships = db.session.execute(
        select(CampaignMember, Campaign).join(Campaign, Campaign.id == CampaignMember.campaign_id)
        .where(CampaignMember.member_id == person.id, Campaign.status == OPEN)
        .order_by(Campaign.id.desc())
    ).all()
    tasks = db.session.scalars(scope.call_task_query(user).where(
        CallTask.member_id == person.id).order_by(CallTask.status != TASK_OPEN,
                                                  CallTask.due_at.desc())).all()
    return render_template(
        "admin/collector_member.html", member=person, memberships=memberships, tasks=tasks,
        task_labels=TASK_LABELS, methods=workflow.PROXY_METHODS, error=error, form=request.form,
        today=today_local(), allowed=ALLOWED_TEXT, max_files=MAX_FILES, phones=phones,
        masked_phones={MEMBER_LABELS[k]: masked(k, v) for k in PHONE_KEYS
                       if (v := getattr(person, k))},
        can_act=scope.can(user, "proxy_confirm"), task_open=TASK_OPEN, settle_states=TO_SETTLE,
        can_phone=scope.can(user, "view_full_phone") and phone_reveal.unsettled(person.id),
        confirmations=confirmations_of(person.id),
    ), status


@bp.post("/collector/members/<int:member_id>/proxy")
@login_required
def proxy(member_id: int) -> Any:
    """Record a proxy confirmation, with its uploaded evidence, in one transaction."""
    user = signed_in_user()
    cm = _membership(user, member_id, "proxy_confirm")
    files = [f for f in request.files.getlist("attachments") if f and f.filename]
    try:
        if len(files) > MAX_FILES:
            raise ServiceError(f"一次最多上传 {MAX_FILES} 个附件")
        confirmed_on = _date(request.form.get("confirmed_on"))
        uploads = [(f.filename or "附件", f.read()) for f in files]
        contact = proxy_record.contact_from(
            request.form.get("contact_used") or "", _moment(request.form.get("contacted_at")),
            request.form.get("member_said") or "")
        run_unit(partial(
            proxy_confirm, cm.campaign_id, member_id, cm.id, uploads, contact=contact,
            actor=f"admin:{user.id}", collector_name=request.form.get("collector_name") or "",
            method=request.form.get("method") or "", confirmed_on=confirmed_on,
            note=(request.form.get("note") or "").strip() or None,
            reason=request.form.get("reason") or "外出"))
    except ServiceError as exc:
        return member_page(member_id, error=exc.message, status=exc.code)
    flash("已记录代为确认。", "success")
    return redirect(url_for(".member", member_id=member_id))


@bp.post("/collector/members/<int:member_id>/unreachable")
@login_required
def unreachable(member_id: int) -> Any:
    """Mark a member who cannot be reached, with what was tried."""
    user = signed_in_user()
    cm = _membership(user, member_id, "mark_unreachable")
    note = request.form.get("note") or ""
    return _act(member_id, "已标记为失联未确认。", partial(
        workflow.mark_unreachable, cm.campaign_id, member_id, actor=f"admin:{user.id}",
        note=note))


@bp.post("/collector/members/<int:member_id>/reopen")
@login_required
def reopen(member_id: int) -> Any:
    """Put a re-contacted member back to confirmation (a card goes out again)."""
    user = signed_in_user()
    cm = _membership(user, member_id, "reopen")
    note = (request.form.get("note") or "").strip() or None
    return _act(member_id, "已重新联系，确认卡已再次发送。", partial(
        workflow.reopen, cm.campaign_id, member_id, actor=f"admin:{user.id}", note=note))


@bp.post("/calls/<int:task_id>/done")
@login_required
def task_done(task_id: int) -> Any:
    """Close a call task with what came of the call."""
    user = signed_in_user()
    task = scope.get_call_task(user, task_id)
    scope.require(user, "close_call_task")
    outcome = (request.form.get("outcome") or "").strip()
    return _act(task.member_id, "已记录联系结果。",
                partial(close_call_task, task.id, outcome, requester()))


@bp.post("/calls/<int:task_id>/phone")
@login_required
def task_phone(task_id: int) -> Any:
    """Show the full phone numbers of a call task's member once, and audit it."""
    user = signed_in_user()
    task = scope.get_call_task(user, task_id)
    scope.require(user, "view_full_phone")
    return _reveal(user, task.member_id, call_task_id=task.id)


@bp.post("/collector/members/<int:member_id>/phone")
@login_required
def member_phone(member_id: int) -> Any:
    """Show the full mobile and landline of a member still to settle, and audit it."""
    return _reveal(signed_in_user(), member_id)


def _reveal(user: AdminUser, member_id: int, **detail: Any) -> Any:
    person = scope.get_member(user, member_id)
    try:
        phones = phone_reveal.reveal_member(user, person, **detail)
    except ServiceError as exc:
        return member_page(person.id, error=exc.message, status=exc.code)
    return member_page(person.id, phones=phones)


@bp.post("/collector/confirmations/<int:entry_id>/attachments")
@login_required
def add_files(entry_id: int) -> Any:
    """Add files (a recording, a screenshot, the signed form) to a proxy confirmation."""
    user = signed_in_user()
    entry = scope.get_evidence_entry(user, entry_id)
    scope.require(user, "proxy_confirm")
    files = [f for f in request.files.getlist("attachments") if f and f.filename]
    try:
        if len(files) > MAX_FILES:
            raise ServiceError(f"一次最多上传 {MAX_FILES} 个附件")
        uploads = [(f.filename or "附件", f.read()) for f in files]
        run_unit(partial(add_attachments, entry.id, uploads, requester()))
    except ServiceError as exc:
        return member_page(entry.member_id or 0, error=exc.message, status=exc.code)
    flash("已补充附件。", "success")
    return redirect(url_for(".member", member_id=entry.member_id))


def _to_settle(state: str) -> Any:
    """Rows still to settle in that state (any); members 待补充 wait in draft for an attempt."""
    if state in TO_SETTLE:
        return CampaignMember.state == state
    waiting = and_(CampaignMember.state == DRAFT, CampaignMember.card_id.is_(None),
                   Member.to_supplement.is_(True))
    return or_(CampaignMember.state.in_(TO_SETTLE), waiting)


def _membership(user: AdminUser, member_id: int, action: str) -> CampaignMember:
    campaign_id = request.form.get("campaign_id", type=int) or 0
    cm = scope.get_campaign_member(user, campaign_id, member_id)
    scope.require(user, action)
    return cm


def _act(member_id: int, done: str, work: Any) -> Any:
    try:
        run_unit(work)
    except ServiceError as exc:
        return member_page(member_id, error=exc.message, status=exc.code)
    flash(done, "success")
    return redirect(url_for(".member", member_id=member_id))


def _moment(raw: str | None) -> datetime | None:
    # A datetime-local field: Beijing time as people read it, stored as UTC.
    if not (raw or "").strip():
        return None
    try:
        local = datetime.fromisoformat((raw or "").strip())
    except ValueError as exc:
        raise ServiceError("请填写有效的联系时间（YYYY-MM-DD HH:MM）") from exc
    return local.replace(tzinfo=LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)


def _date(raw: str | None) -> date:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError as exc:
        raise ServiceError("请填写有效的确认日期（YYYY-MM-DD）") from exc
