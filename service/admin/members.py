"""Members: the filtered list, a member's page (record, versions, cards, evidence), editing
with a basis note, and submitting for confirmation one by one or in bulk."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import and_, func, null, or_, select

from service.admin import scope
from service.admin.auth import Requester, login_required, requester, signed_in_user
from service.admin.common import campaign_in_view, campaigns_for, in_org, paginate
from service.admin.record_view import (
    CHOICES,
    CODE_TABLES,
    DATE_KEYS,
    EDITABLE,
    FLAG_KEYS,
    display_rows,
    masked,
    parse_form,
    text_of,
)
from service.campaign import workflow
from service.campaign.campaigns import release_held
from service.crypto import blind_indexes
from service.errors import ServiceError
from service.evidence import ledger, proxy_record
from service.extensions import db
from service.models import (
    AdminUser,
    Attachment,
    Campaign,
    CampaignMember,
    Card,
    ContactRecord,
    Member,
    Org,
)
from service.models.campaign import DRAFT, SETTLED_STATES, STATE_LABELS
from service.records.fields import FULL_MEMBER, MEMBER_LABELS, SENSITIVE_MEMBER_KEYS
from service.records.idcard import normalize_id
from service.records.phones import normalize_mobile
from service.roster import history
from service.roster.members import member_record
from service.unit_of_work import run_unit

bp = Blueprint("admin_members", __name__, url_prefix="/admin")
UNFINISHED = "unfinished"
# Problems a query can find without reading records one by one (the full 回头看 is a report).
QUALITY: dict[str, tuple[str, Any]] = {
    "held": ("待修正（导入时有误）", Member.held.is_(True)),
    "to_supplement": ("待补充（失联或停止党籍，先采集已知信息）", Member.to_supplement.is_(True)),
    "no_phone": ("缺少联系电话", and_(Member.mobile.is_(None), Member.landline.is_(None))),
    "no_address": ("缺少家庭住址", or_(Member.address.is_(None), Member.address == "")),
    "no_job": ("缺少工作岗位", or_(Member.job.is_(None), Member.job == "")),
    "no_id": ("缺少身份证号", Member.id_number_bidx.is_(None)),
    "no_full_on": ("正式党员缺少转正日期",
                   and_(Member.member_type == FULL_MEMBER, Member.full_on.is_(None))),
    "lost": ("失联党员", Member.is_lost.is_(True)),
    "floating": ("流动党员", Member.is_floating.is_(True)),
}


@bp.get("/members")
@login_required
def index() -> str:
    """List the members in scope, filtered by campaign state, org, search and quality."""
    user = signed_in_user()
    campaigns = campaigns_for(user)
    campaign = campaign_in_view(user, campaigns)
    org_id = request.args.get("org", type=int)
    org = scope.get_org(user, org_id) if org_id else None
    state = request.args.get("state", "")
    quality = request.args.get("quality", "")
    q = (request.args.get("q") or "").strip()
    joins, where = _filters(user, campaign, org, state, quality, q)
    columns = select(Member.id, Member.name, Member.sex, Member.birth_date, Member.id_number,
                     Member.mobile, Org.name.label("org_name"), _state_column(campaign),
                     Member.held, Member.to_supplement)
    # 待修正 first: they wait on this admin, and no card goes out until they are fixed.
    page = paginate(_apply(columns, joins, where).order_by(Member.held.desc(), Member.id),
                    _apply(select(func.count(Member.id)), joins, where))
    branches = db.session.scalars(scope.org_query(user).order_by(Org.path).limit(500)).all()
    return render_template(
        "admin/members.html", page=page, campaigns=campaigns, campaign=campaign, org=org,
        state=state, quality=quality, q=q, branches=branches, quality_filters=QUALITY,
        can_submit=scope.can(user, "submit") and campaign is not None
        and campaign.status == "open", unfinished=UNFINISHED, masked=masked,
        args={k: v for k, v in request.args.items() if k != "page"},
    )


def _state_column(campaign: Campaign | None) -> Any:
    return CampaignMember.state if campaign is not None else null().label("state")


def _filters(user: AdminUser, campaign: Campaign | None, org: Org | None, state: str,
             quality: str, q: str) -> tuple[list[Any], list[Any]]:
    joins: list[Any] = [(Org, Org.id == Member.org_id, False)]
    where: list[Any] = [scope.in_scope(Member.org_id, user)]
    if campaign is not None:
        on = and_(CampaignMember.member_id == Member.id, CampaignMember.campaign_id == campaign.id)
        joins.append((CampaignMember, on, not state))  # outer join unless filtering by state
        if state == UNFINISHED:
            where.append(CampaignMember.state.not_in(SETTLED_STATES))
        elif state in STATE_LABELS:
            where.append(CampaignMember.state == state)
    if org is not None:
        where.append(in_org(Member.org_id, org))
    if quality in QUALITY:
        where.append(QUALITY[quality][1])
    if q:
        digits = normalize_id(q)
        if len(digits) in (15, 18) and digits[:-1].isdigit():
            where.append(Member.id_number_bidx.in_(blind_indexes(digits, "id_number")))
        elif (mobile := normalize_mobile(q)) is not None:
            where.append(Member.mobile_bidx.in_(blind_indexes(mobile, "mobile")))
        else:
            where.append(Member.name.contains(q, autoescape=True))
    return joins, where


def _apply(query: Any, joins: list[Any], where: list[Any]) -> Any:
    query = query.select_from(Member)
    for target, on, outer in joins:
        query = query.outerjoin(target, on) if outer else query.join(target, on)
    return query.where(*where)


@bp.get("/members/<int:member_id>")
@login_required
def detail(member_id: int) -> str:
    """Show a member: record, campaigns, version history, cards and the evidence timeline."""
    return _detail_page(member_id, reveal=frozenset())


@bp.post("/members/<int:member_id>/id-number")
@login_required
def reveal_id(member_id: int) -> str:
    """Show the full ID number once, and audit that it was seen."""
    user = signed_in_user()
    member = scope.get_member(user, member_id)
    scope.require(user, "view_full_id")
    run_unit(partial(requester().audit, "member.view_id_number", target_type="member",
                     target_id=member.id))
    return _detail_page(member_id, reveal=frozenset({"id_number"}))


def _detail_page(member_id: int, reveal: frozenset[str]) -> str:
    user = signed_in_user()
    member = scope.get_member(user, member_id)
    record = member_record(member)
    memberships = db.session.execute(
        select(CampaignMember, Campaign).join(Campaign, Campaign.id == CampaignMember.campaign_id)
        .where(CampaignMember.member_id == member.id).order_by(Campaign.id.desc())
    ).all()
    cards = db.session.scalars(
        select(Card).where(Card.member_id == member.id).order_by(Card.id.desc())).all()
    entries = ledger.entries_for(member.id)
    attachments: dict[int, list[Attachment]] = {}
    for att in db.session.scalars(select(Attachment).where(
            Attachment.entry_id.in_([e.id for e in entries]))):
        attachments.setdefault(att.entry_id or 0, []).append(att)
    contacts = {c.entry_id: c for c in db.session.scalars(select(ContactRecord).where(
        ContactRecord.member_id == member.id))}
    return render_template(
        "admin/member.html", member=member, rows=display_rows(record, reveal),
        memberships=memberships, versions=_versions(member), cards=cards,
        entries=[(e, json.loads(e.body).get("data", {})) for e in reversed(entries)],
        attachments=attachments, evidence_id=ledger.evidence_id,
        contacts=contacts, mask_used=proxy_record.mask_used,
        revealed="id_number" in reveal, draft=DRAFT,
        can={a: scope.can(user, a) for a in ("edit_member", "submit", "view_full_id",
                                            "proxy_confirm")},
    )


def _versions(member: Member) -> list[dict[str, Any]]:
    out = []
    for v in reversed(member.versions):
        changes = history.unseal(v.changes)
        out.append({"v": v, "changes": [
            (MEMBER_LABELS.get(k, k),
             *(masked(k, x) if k in SENSITIVE_MEMBER_KEYS else text_of(k, x) for x in pair))
            for k, pair in changes.items()]})
    return out


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@login_required
def edit(member_id: int) -> Any:
    """Edit a member's record; a basis note (依据) is required and kept in the history."""
    user = signed_in_user()
    member = scope.get_member(user, member_id)
    scope.require(user, "edit_member")
    current = member_record(member)
    values = {k: _form_value(k, current.get(k)) for k in EDITABLE}
    error = None
    if request.method == "POST":
        values.update({k: request.form.get(k, "") for k in EDITABLE
                       if k not in SENSITIVE_MEMBER_KEYS})
        basis = (request.form.get("basis") or "").strip()
        try:
            if not basis:
                raise ServiceError("请填写修改依据（如：党员档案、本人提供的证件或材料）")
            record = parse_form(request.form, current)
            version, released = run_unit(partial(edit_member, member_id, record, basis,
                                                 requester()))
        except ServiceError as exc:
            error = exc.message
        else:
            flash(_saved_message(version is not None, released), "success")
            return redirect(url_for(".detail", member_id=member_id))
    return render_template(
        "admin/member_edit.html", member=member, values=values, error=error,
        basis=request.form.get("basis", ""), labels=MEMBER_LABELS, editable=EDITABLE,
        code_tables=CODE_TABLES, choices=CHOICES, date_keys=DATE_KEYS, flag_keys=FLAG_KEYS,
        sensitive=SENSITIVE_MEMBER_KEYS, masked_now={k: masked(k, current.get(k))
                                                     for k in SENSITIVE_MEMBER_KEYS},
    ), (400 if error else 200)


def edit_member(member_id: int, record: dict[str, Any], basis: str, who: Requester
                ) -> tuple[Any, bool]:
    """Change a member's record on a basis note, audited; return the new version (or None)
    and whether this released a member held for correction (待修正)."""
    version = workflow.edit_record(member_id, record, actor=who.actor, basis=basis)
    if version is not None:
        who.audit("member.edit", target_type="member", target_id=member_id,
                  fields=sorted(version.changes), basis=basis[:200])
    # The form passed the validators: a member held for correction is fixed now.
    released = release_held(member_id, actor=who.actor)
    if released:
        who.audit("member.release", target_type="member", target_id=member_id,
                  basis=basis[:200])
    return version, released


def _saved_message(changed: bool, released: bool) -> str:
    if released:
        return "已保存，该党员已解除待修正；如有进行中的信息确认工作，已向其发送确认卡。"
    return "已保存修改，并已向党员重新发送确认卡。" if changed else "没有修改任何信息。"


def _form_value(key: str, value: Any) -> str:
    if key in SENSITIVE_MEMBER_KEYS:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return "" if value is None else str(value)


@bp.post("/members/<int:member_id>/submit")
@login_required
def submit_one(member_id: int) -> Any:
    """Put one member's record to them for confirmation."""
    user = signed_in_user()
    campaign_id = request.form.get("campaign_id", type=int) or 0
    scope.get_campaign_member(user, campaign_id, member_id)
    scope.require(user, "submit")
    run_unit(partial(workflow.submit, campaign_id, member_id, actor=f"admin:{user.id}"))
    flash("已提交确认，确认卡已发送给党员。", "success")
    return redirect(url_for(".detail", member_id=member_id))


@bp.post("/members/submit")
@login_required
def submit_bulk() -> Any:
    """Put the selected members (not yet submitted) to confirmation, in one transaction."""
    user = signed_in_user()
    scope.require(user, "submit")
    campaign_id = request.form.get("campaign_id", type=int) or 0
    scope.get_campaign(user, campaign_id)
    wanted = [int(i) for i in request.form.getlist("member_id") if i.isdigit()]
    if not wanted:
        raise ServiceError("请先勾选要提交确认的党员")
    ids = list(db.session.scalars(
        scope.campaign_member_query(user).with_only_columns(CampaignMember.member_id)
        .where(CampaignMember.campaign_id == campaign_id, CampaignMember.state == DRAFT,
               CampaignMember.member_id.in_(wanted))))
    run_unit(partial(submit_members, campaign_id, ids, actor=f"admin:{user.id}"))
    skipped = len(set(wanted)) - len(ids)
    flash(f"已提交确认 {len(ids)} 人" + (f"；{skipped} 人已提交过或不在范围内，已跳过" if skipped
                                       else ""), "success")
    back = request.form.get("back") or ""
    return redirect(back if back.startswith("/admin/") else url_for(".index", campaign=campaign_id))


def submit_members(campaign_id: int, member_ids: list[int], *, actor: str) -> None:
    """Put each of the members to confirmation, all in the caller's one unit."""
    for member_id in member_ids:
        workflow.submit(campaign_id, member_id, actor=actor)
