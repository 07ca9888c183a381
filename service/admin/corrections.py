"""The correction queue: members' proposed values beside the record, field by field; accept
(the record changes on a basis note and a new card goes out) or reject with a reason."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from service.admin import phone_reveal, scope
from service.admin.auth import Requester, login_required, requester, signed_in_user
from service.admin.common import paginate
from service.admin.record_view import masked, text_of
from service.campaign import corrections
from service.errors import ServiceError
from service.extensions import db
from service.models import CorrectionRequest, Member, Org
from service.models.correction import OPEN, STATUS_LABELS
from service.records.fields import SENSITIVE_MEMBER_KEYS
from service.unit_of_work import run_unit

bp = Blueprint("admin_corrections", __name__, url_prefix="/admin")


@bp.get("/corrections")
@login_required
def index() -> str:
    """List correction requests in scope, open ones oldest first."""
    user = signed_in_user()
    status = request.args.get("status", OPEN)
    query = (scope.correction_query(user)
             .join(Member, Member.id == CorrectionRequest.member_id)
             .join(Org, Org.id == CorrectionRequest.org_id))
    if status in STATUS_LABELS:
        query = query.where(CorrectionRequest.status == status)
    rows = query.with_only_columns(CorrectionRequest, Member.name, Org.name.label("org_name"))
    page = paginate(rows.order_by(CorrectionRequest.created_at, CorrectionRequest.id),
                    select(func.count()).select_from(query.subquery()))
    return render_template("admin/corrections.html", page=page, status=status,
                           status_labels=STATUS_LABELS, args={"status": status})


@bp.get("/corrections/<int:request_id>")
@login_required
def detail(request_id: int) -> str:
    """Show one request: each disputed item, the record's value and the proposed one."""
    return _page(request_id)


@bp.post("/corrections/<int:request_id>/phone")
@login_required
def phone(request_id: int) -> Any:
    """Show the proposed phone in full, beside the member's numbers, and audit it."""
    user = signed_in_user()
    req = scope.get_correction(user, request_id)
    try:
        full = phone_reveal.reveal_proposed(user, req)
    except ServiceError as exc:
        return _page(request_id, error=exc.message, status=exc.code)
    return _page(request_id, full=full)


def _page(request_id: int, error: str | None = None, status: int = 200,
          full: dict[str, dict[str, str]] | None = None) -> Any:
    user = signed_in_user()
    req = scope.get_correction(user, request_id)
    rows = []
    for item in corrections.diff(req):
        key = item["field"]
        sensitive = key in SENSITIVE_MEMBER_KEYS
        rows.append({**item, "sensitive": sensitive,
                     "current_text": masked(key, item["current"]) if sensitive
                     else text_of(key, item["current"]),
                     "proposed_text": full["proposed"][key]
                     if full and key in full["proposed"]
                     else masked(key, item["proposed"]) if sensitive
                     else text_of(key, item["proposed"]),
                     "value": request.form.get(f"v_{key}", item["proposed"]) if not sensitive
                     else ""})
    member = db.session.get(Member, req.member_id)
    return render_template(
        "admin/correction.html", req=req, rows=rows, member=member, error=error,
        status_labels=STATUS_LABELS, can_resolve=scope.can(user, "resolve_correction")
        and req.status == OPEN, form=request.form, full=full,
        can_phone=scope.can(user, "view_full_phone") and req.status == OPEN
        and any(r["field"] in phone_reveal.PHONE_KEYS for r in rows),
    ), status


@bp.post("/corrections/<int:request_id>/accept")
@login_required
def accept(request_id: int) -> Any:
    """Accept: change the record to the (possibly adjusted) proposed values on a basis."""
    user = signed_in_user()
    req = scope.get_correction(user, request_id)
    scope.require(user, "resolve_correction")
    proposed = corrections.proposed_values(req)
    # Personal numbers are shown masked and so cannot be adjusted here: they apply as proposed.
    values = {k: (v if k in SENSITIVE_MEMBER_KEYS else request.form.get(f"v_{k}", v))
              for k, v in proposed.items()}
    basis = request.form.get("basis")
    return _resolve(request_id, accept=True, basis=basis, values=values)


@bp.post("/corrections/<int:request_id>/reject")
@login_required
def reject(request_id: int) -> Any:
    """Reject with a reason the member is told; the member gets the record again to confirm."""
    user = signed_in_user()
    scope.get_correction(user, request_id)
    scope.require(user, "resolve_correction")
    return _resolve(request_id, accept=False, reason=request.form.get("reason"))


def resolve(request_id: int, who: Requester, *, accept: bool, **answer: Any) -> None:
    """Accept (``answer``: basis, values) or reject (reason) a correction request, audited."""
    card = corrections.resolve(request_id, accept=accept, actor=who.actor, **answer)
    who.audit("correction.accept" if accept else "correction.reject",
              target_type="correction_request", target_id=request_id, card_id=card.id)


def _resolve(request_id: int, *, accept: bool, **answer: Any) -> Any:
    try:
        run_unit(partial(resolve, request_id, requester(), accept=accept, **answer))
    except ServiceError as exc:
        return _page(request_id, error=exc.message, status=exc.code)
    flash("已采纳修改，已向党员发送更新后的确认卡。" if accept
          else "已答复不采纳，已将理由和原信息发送给党员再次确认。", "success")
    return redirect(url_for(".index"))
