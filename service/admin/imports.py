"""Admin 导入 pages: upload a 附件4/附件3 workbook, watch the background import, get the report."""

from __future__ import annotations

import io
from functools import partial
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy import select

from service.admin import import_jobs, import_worker, scope
from service.admin.auth import Requester, login_required, requester, signed_in_user
from service.admin.downloads import XLSX, add_filters
from service.clock import now_utc
from service.errors import NotFound, ServiceError
from service.extensions import db
from service.models import ImportJob, Org
from service.models.admin_user import AdminUser
from service.models.import_job import KINDS, MEMBERS, STATUSES
from service.unit_of_work import run_unit

bp = Blueprint("admin_imports", __name__, url_prefix="/admin")
RECENT = 20
# What to do with rows in error: the three choices the CLI offers too.
MODES = {"all": "全部无误才导入：只要有一行错误，就不写入任何数据",
         "skip": "跳过有错误的行，只导入无误的行",
         "hold": "暂存为待修正：内容有误（日期、代码等）但能确定本人和所在党支部的行照样导入，"
                 "标为“待修正”、不发确认卡，改正后再发；无法确定本人或党支部的行仍不导入"}
add_filters(bp)
IMPORT = "import"  # the permission every page here needs


def _job(user: AdminUser, job_id: int) -> ImportJob:
    job = db.session.scalar(select(ImportJob).where(
        ImportJob.id == job_id, scope.in_scope(ImportJob.scope_org_id, user)))
    if job is None:
        raise NotFound("该导入任务不存在或不在您的管理范围内")
    return job


def job_dict(job: ImportJob) -> dict[str, Any]:
    """Return what the progress page shows, for its polling script."""
    return {"id": job.id, "status": job.status, "status_label": STATUSES[job.status],
            "finished": job.finished, "percent": job.percent, "done": job.done,
            "total": job.total, "rows": job.rows, "created": job.created,
            "updated": job.updated, "error_rows": job.error_rows, "warnings": job.warnings,
            "message": job.message, "has_report": job.has_report,
            "report_url": url_for(".report", job_id=job.id) if job.has_report else None}


@bp.get("/imports")
@login_required
def index() -> str:
    """Show the upload form and the recent imports in the user's scope."""
    user = signed_in_user(IMPORT)
    _fail_stale()
    jobs = db.session.scalars(select(ImportJob).where(
        scope.in_scope(ImportJob.scope_org_id, user)).order_by(ImportJob.id.desc()).limit(RECENT))
    return render_template("admin/imports.html", jobs=list(jobs), kinds=KINDS,
                           statuses=STATUSES, modes=MODES,
                           max_changes=current_app.config["IMPORT_MAX_IDENTITY_CHANGES"])


def _fail_stale() -> None:
    """Mark jobs a dead process left running as failed, before showing them."""
    now = now_utc()
    if import_jobs.stale_jobs(current_app._get_current_object(), now):  # type: ignore[attr-defined]
        run_unit(partial(import_jobs.fail_stale, now))


@bp.post("/imports")
@login_required
def upload() -> Any:
    """Store the upload as a job and start it in the background (or queue it for a worker)."""
    user = signed_in_user(IMPORT)
    kind = request.form.get("kind", MEMBERS)
    upload = request.files.get("file")
    mode = request.form.get("mode") or ("skip" if request.form.get("skip_invalid") == "1"
                                        else "all")
    accept_changes = request.form.get("accept_changes") == "1"
    try:
        if kind not in KINDS:
            raise ServiceError("请选择导入的表格类型")
        if mode not in MODES:
            raise ServiceError("请选择有错误时的处理方式")
        if mode == "hold" and kind != MEMBERS:
            raise ServiceError("“暂存为待修正”只适用于党员（附件4）；党组织（附件3）请选择"
                               "“全部无误才导入”或“跳过有错误的行”")
        if upload is None or not upload.filename:
            raise ServiceError("请选择要导入的 Excel 文件（.xlsx）")
        if not upload.filename.lower().endswith(".xlsx"):
            raise ServiceError(f"“{upload.filename}”不是 .xlsx 文件；.xls 请先用 Excel 或 WPS "
                               "另存为 .xlsx")
        limit = current_app.config["ADMIN_IMPORT_MAX_BYTES"]
        data = upload.read(limit + 1)
        if len(data) > limit:
            raise ServiceError(f"文件太大：不能超过 {limit // (1024 * 1024)}MB")
        if not data:
            raise ServiceError("文件是空的")
    except ServiceError as e:
        flash(e.message, "error")
        return redirect(url_for(".index"))
    # Once: the upload is written to disk under the new job's id.
    job_id = run_unit(partial(queue_import, kind, upload.filename, data, user_id=user.id,
                              scope_org=user.org, who=requester(),
                              mode=mode, accept_changes=accept_changes), attempts=1)
    import_worker.dispatch(current_app._get_current_object(), job_id)  # type: ignore[attr-defined]
    return redirect(url_for(".show", job_id=job_id))


def queue_import(kind: str, filename: str, data: bytes, *, user_id: int, scope_org: Org,
                 mode: str, who: Requester, accept_changes: bool = False) -> int:
    """Queue an uploaded workbook as an import job, audited; return the job's id."""
    job = import_jobs.create_job(kind, filename, data, user_id=user_id, scope=scope_org,
                                 skip_invalid=mode == "skip", hold_invalid=mode == "hold",
                                 accept_changes=accept_changes)
    extra = {"accept_changes": True} if accept_changes else {}
    who.audit("import.upload", target_type="import_job", target_id=job.id, kind=kind,
              file=job.filename, bytes=len(data), **extra)
    return job.id


@bp.get("/imports/<int:job_id>")
@login_required
def show(job_id: int) -> str:
    """Show one import with its progress bar."""
    user = signed_in_user(IMPORT)
    _fail_stale()
    job = _job(user, job_id)
    return render_template("admin/imports_job.html", job=job, info=job_dict(job), kinds=KINDS)


@bp.get("/api/imports/<int:job_id>")
@login_required
def status(job_id: int) -> Any:
    """Return the job's progress as JSON (polled by the progress page)."""
    user = signed_in_user(IMPORT)
    _fail_stale()
    return jsonify(job_dict(_job(user, job_id)))


@bp.get("/imports/<int:job_id>/errors.xlsx")
@login_required
def report(job_id: int) -> Any:
    """Download the error report: the upload with bad cells marked and a 错误原因 column."""
    job = _job(signed_in_user(IMPORT), job_id)
    data = import_jobs.report(job)
    if data is None:
        raise NotFound("该导入没有错误报告")
    # The report is a copy of the upload, ID numbers and all: taking it out is on record.
    run_unit(partial(requester().audit, "import.error_report", target_type="import_job",
                     target_id=job.id, file=job.filename, error_rows=job.error_rows))
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=f"错误报告-{job.filename}")
