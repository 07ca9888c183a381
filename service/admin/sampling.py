"""Admin 验收抽查 pages: draw a recorded sample, check each sampled record item by item against
the acceptance scoring sheet, and read the summary score."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from service.admin import scope
from service.admin.auth import login_required, signed_in_user
from service.admin.downloads import add_filters, depth, org_choices
from service.errors import NotFound, ServiceError
from service.extensions import db
from service.models import AdminUser, Member, Org, SamplingItem, SamplingRun
from service.models.sampling import BRANCH, COMMITTEE
from service.records.idcard import mask_id
from service.records.phones import mask_phone
from service.review import committees, sampling, scoresheet
from service.review.committees import committee_ids
from service.roster.members import member_record
from service.unit_of_work import run_unit

bp = Blueprint("admin_sampling", __name__, url_prefix="/admin")
add_filters(bp)
RECENT = 50
SAMPLE = "sample"  # the permission every page here needs


def _run(user: AdminUser, run_id: int) -> SamplingRun:
    run = db.session.scalar(select(SamplingRun).where(
        SamplingRun.id == run_id, scope.in_scope(SamplingRun.scope_org_id, user)))
    if run is None:
        raise NotFound("该抽查不存在或不在您的管理范围内")
    return run


def _item(run: SamplingRun, item_id: int) -> SamplingItem:
    item = next((i for i in run.items if i.id == item_id), None)
    if item is None:
        raise NotFound("该抽查记录不存在")
    return item


def summary_dict(run: SamplingRun) -> dict[str, Any]:
    """Return the run and its scoring sheet as JSON-ready data."""
    s = sampling.summarise(run)
    return {"id": run.id, "seed": run.seed, "scope_org_id": run.scope_org_id,
            "branch_total": run.branch_total, "member_total": run.member_total,
            "branch_size": run.branch_size, "member_size": run.member_size,
            "committee_total": run.committee_total, "committee_size": run.committee_size,
            "committees": [i.org_id for i in run.items if i.kind == COMMITTEE],
            "closed": run.closed_at is not None, "records": s.records,
            "started": s.started, "status": "已结束" if run.closed_at else s.status,
            "checked_records": s.checked_records, "failed_records": s.failed_records,
            "full_points": s.full_points, "points": s.points, "earned": s.earned,
            "score": s.score, "grade": s.grade, "explanation": s.explanation,
            "items": [{"no": r.item.no, "name": r.item.name, "points": r.item.points,
                       "applicable": r.applicable, "reason": r.reason,
                       "problems": r.problems, "deduction": r.deduction, "score": r.score}
                      for r in s.rows]}


@bp.get("/sampling")
@login_required
def index() -> str:
    """List the runs in scope and offer a new draw."""
    user = signed_in_user(SAMPLE)
    runs = db.session.scalars(select(SamplingRun).where(
        scope.in_scope(SamplingRun.scope_org_id, user)).order_by(SamplingRun.id.desc())
        .limit(RECENT)).all()
    names = dict(db.session.execute(select(Org.id, Org.name).where(
        Org.id.in_({r.scope_org_id for r in runs}))).all())
    committees = len(committee_ids(None))
    return render_template("admin/sampling.html", runs=runs, names=names,
                           orgs=org_choices(user), depth=depth, everything=False,
                           ladder=scoresheet.SIZE_LADDER, above=scoresheet.SIZE_ABOVE,
                           committees=committees,
                           started=sampling.runs_started([r.id for r in runs]),
                           committee_size=scoresheet.committee_sample_size(committees),
                           ratio=round(100 * scoresheet.COMMITTEE_RATIO))


@bp.get("/sampling/committees")
@login_required
def committees_form() -> str:
    """Offer the draw of 基层党委 (at least 5% of them), with its scope and seed."""
    user = signed_in_user(SAMPLE)
    total = len(committee_ids(None))
    return render_template("admin/sampling_committees.html", orgs=org_choices(user),
                           depth=depth, committees=total,
                           committee_size=scoresheet.committee_sample_size(total),
                           ratio=round(100 * scoresheet.COMMITTEE_RATIO))


@bp.post("/sampling/committees")
@login_required
def draw_committees() -> Any:
    """Draw at least 5% of the 基层党委 (in the picked org, or everywhere) and record it."""
    user = signed_in_user(SAMPLE)
    raw = request.form.get("org_id") or ""
    try:
        org = scope.get_org(user, int(raw)) if raw else None
    except ValueError:
        raise NotFound("党组织不存在或不在您的管理范围内") from None
    try:
        run = run_unit(partial(committees.draw_committees, org, org or user.org,
                               actor_id=user.id, seed=request.form.get("seed"),
                               note=request.form.get("note")))
    except ServiceError as e:
        flash(e.message, "error")
        return redirect(url_for(".committees_form"))
    return redirect(url_for(".show", run_id=run.id))


@bp.post("/sampling")
@login_required
def draw() -> Any:
    """Draw a sample of the picked org's branches and members and record it."""
    user = signed_in_user(SAMPLE)
    try:
        org = scope.get_org(user, int(request.form.get("org_id") or 0))
    except ValueError:
        raise NotFound("党组织不存在或不在您的管理范围内") from None
    try:
        run = run_unit(partial(sampling.draw_run, org, actor_id=user.id,
                               seed=request.form.get("seed"), note=request.form.get("note")))
    except ServiceError as e:
        flash(e.message, "error")
        return redirect(url_for(".index"))
    return redirect(url_for(".show", run_id=run.id))


@bp.get("/sampling/<int:run_id>")
@login_required
def show(run_id: int) -> str:
    """Show the run: how it was drawn, the sampled records and the scoring sheet."""
    run = _run(signed_in_user(SAMPLE), run_id)
    orgs = dict(db.session.execute(select(Org.id, Org.name).where(
        Org.id.in_({i.org_id for i in run.items} | {run.scope_org_id}))).all())
    members = dict(db.session.execute(select(Member.id, Member.name).where(
        Member.id.in_({i.member_id for i in run.items if i.member_id}))).all())
    return render_template("admin/sampling_run.html", run=run, orgs=orgs, members=members,
                           summary=sampling.summarise(run), items_for=sampling.items_for,
                           BRANCH=BRANCH, COMMITTEE=COMMITTEE)


@bp.get("/api/sampling/<int:run_id>")
@login_required
def data(run_id: int) -> Any:
    """Return the run's summary as JSON."""
    return jsonify(summary_dict(_run(signed_in_user(SAMPLE), run_id)))


@bp.route("/sampling/<int:run_id>/items/<int:item_id>", methods=["GET", "POST"])
@login_required
def check(run_id: int, item_id: int) -> Any:
    """Show one sampled record with its checklist; save the verdicts."""
    user = signed_in_user(SAMPLE)
    run = _run(user, run_id)
    item = _item(run, item_id)
    if request.method == "POST":
        try:
            run_unit(partial(sampling.record_checks, item, _verdicts(item), actor_id=user.id))
        except ServiceError as e:
            flash(e.message, "error")
            return redirect(url_for(".check", run_id=run_id, item_id=item_id))
        flash("检查结果已保存", "success")
        return redirect(url_for(".show", run_id=run.id) + f"#item-{item_id}")
    org = db.session.get(Org, item.org_id)
    record = None
    if item.member_id:
        member = db.session.get(Member, item.member_id)
        assert member is not None
        record = member_record(member)
        record["id_number"] = mask_id(record["id_number"] or "")
        record["mobile"] = mask_phone(record["mobile"]) if record.get("mobile") else None
    verdicts = {c.item_no: c for c in item.checks}
    return render_template("admin/sampling_item.html", run=run, item=item, org=org,
                           record=record, verdicts=verdicts, items=sampling.items_for(item),
                           BRANCH=BRANCH)


def _verdicts(item: SamplingItem) -> list[sampling.Verdict]:
    """Read the verdicts the checklist form carries; items left unjudged stay open."""
    verdicts = []
    for score_item in sampling.items_for(item):
        no = score_item.no
        result = request.form.get(f"result_{no}")
        if result in ("pass", "fail"):
            verdicts.append(sampling.Verdict(
                no, passed=result == "pass",
                problems=request.form.get(f"problems_{no}", 0, type=int) or 0,
                reason=request.form.get(f"reason_{no}")))
    return verdicts


@bp.post("/sampling/<int:run_id>/close")
@login_required
def close(run_id: int) -> Any:
    """Finish the run once every record is checked; its sheet is then final."""
    user = signed_in_user(SAMPLE)
    run = _run(user, run_id)
    try:
        run_unit(partial(sampling.close_run, run, actor_id=user.id))
    except ServiceError as e:
        flash(e.message, "error")
        return redirect(url_for(".show", run_id=run_id))
    flash("抽查已结束，评分已确定", "success")
    return redirect(url_for(".show", run_id=run.id))
