"""Admin 回头看 page: the data-quality review with the same rules as `flask quality report`,
filtered by org and category, downloadable as the same workbook."""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import IO, Any

from flask import Blueprint, current_app, jsonify, render_template, request

from service.admin import scope
from service.admin.auth import login_required, requester, signed_in_user
from service.admin.downloads import XLSX, add_filters, depth, org_choices, send_built
from service.clock import today_local
from service.errors import NotFound, ServiceError
from service.models import AdminUser, Org
from service.quality import rules
from service.quality.export import SEVERITY_LABELS, report_dict, write_xlsx
from service.quality.report import QualityReport, build_report
from service.unit_of_work import run_unit

bp = Blueprint("admin_review", __name__, url_prefix="/admin")
add_filters(bp)
REVIEW = "review"  # the permission every page here needs


def _scope(user: AdminUser, raw: str | None) -> Org | None:
    if not raw:
        return None if scope.sees_everything(user) else user.org
    try:
        return scope.get_org(user, int(raw))
    except ValueError:
        raise NotFound("党组织不存在或不在您的管理范围内") from None


def _report(user: AdminUser, args: Any
            ) -> tuple[Org | None, str, dict[str, int], QualityReport]:
    """Build the report for the requested scope; return it with only the requested category
    kept, after the counts by category of the whole report."""
    org = _scope(user, args.get("org_id"))
    category = args.get("category") or ""
    if category and category not in rules.CATEGORIES:
        raise ServiceError("未知的问题类别")
    report = build_report(org, today_local())
    counts = report.by_category()
    if category:
        report = dataclasses.replace(
            report, problems=[f for f in report.problems if f.category == category])
    return org, category, counts, report


@bp.get("/review")
@login_required
def index() -> str:
    """Show the review: per-org summary, counts by category, and a page of findings."""
    user = signed_in_user(REVIEW)
    org, category, counts, report = _report(user, request.args)
    size = current_app.config.get("ADMIN_PAGE_SIZE", 50)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    shown = report.problems[(page - 1) * size:page * size]
    return render_template(
        "admin/review.html", report=report, org=org, category=category, categories=counts,
        all_categories=rules.CATEGORIES, shown=shown, page=page,
        pages=max((len(report.problems) + size - 1) // size, 1), severity=SEVERITY_LABELS,
        orgs=org_choices(user), depth=depth, everything=scope.sees_everything(user))


@bp.get("/api/review")
@login_required
def data() -> Any:
    """Return the review as JSON (ID numbers masked), as `flask quality report --json`."""
    *_, report = _report(signed_in_user(REVIEW), request.args)
    return jsonify(report_dict(report))


@bp.post("/review/report.xlsx")
@login_required
def download() -> Any:
    """Download the review workbook (汇总, 问题清单, 说明), audited as the CLI's is."""
    user = signed_in_user(REVIEW)
    org, category, _, report = _report(user, request.form)

    def write(out: IO[bytes]) -> None:
        write_xlsx(report, out)

    name = f"回头看报告-{report.scope}-{today_local():%Y%m%d}.xlsx"
    response, _ = send_built(write, filename=name, mimetype=XLSX)
    run_unit(partial(requester().audit, "quality.report", target_type="org",
                     target_id=org.id if org else None, scope=report.scope, output="xlsx",
                     category=category or None, members=report.total.members,
                     errors=report.total.errors, warnings=report.total.warnings))
    return response
