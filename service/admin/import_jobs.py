"""Web roster imports: store the upload, then check and write it in a background thread, in one
transaction, with progress on the job row and the --errors-out report when rows are wrong."""

from __future__ import annotations

import io
import logging
import zipfile
from collections import Counter
from datetime import datetime, timedelta
from functools import partial
from typing import IO, Any

from flask import Flask, current_app
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import or_, select, update

from service import audit
from service.admin import import_files
from service.campaign import member_import as importing
from service.clock import now_utc, today_local
from service.extensions import db
from service.models import ImportJob, Org
from service.models.import_job import (
    CHECKING,
    DONE,
    FAILED,
    MEMBERS,
    ORGS,
    QUEUED,
    REFUSED,
    WRITING,
)
from service.records.error_report import write_error_report
from service.records.member_sheet import read_members
from service.records.org_sheet import read_orgs
from service.records.xlsx_guard import Limits
from service.records.xlsx_read import CellProblem, SheetFormatError
from service.roster import org_importing
from service.roster.org_placement import plan_lines
from service.roster.orgs import subtree_ids
from service.unit_of_work import run_unit

log = logging.getLogger(__name__)
UNREADABLE = ("无法读取该文件：应为未加密的 .xlsx 格式 Excel 工作簿"
              "（.xls 请先用 Excel 或 WPS 另存为 .xlsx）")


def report(job: ImportJob) -> bytes | None:
    """Return the job's error report, if one was written and is still kept."""
    return import_files.get(job.id, import_files.REPORT) if job.has_report else None


def create_job(kind: str, filename: str, data: bytes, *, user_id: int, scope: Org,
               skip_invalid: bool, hold_invalid: bool = False,
               accept_changes: bool = False) -> ImportJob:
    """Add a queued job and store its upload (no commit; start it after the commit).

    ``accept_changes``: the uploader ticked the box that lets the import rename more existing
    members than IMPORT_MAX_IDENTITY_CHANGES; kept on the job, so any worker honours it."""
    job = ImportJob(kind=kind, filename=filename[:255], uploaded_by=user_id,
                    scope_org_id=scope.id, skip_invalid=skip_invalid, hold_invalid=hold_invalid,
                    accept_changes=accept_changes)
    db.session.add(job)
    db.session.flush()
    import_files.put(job.id, import_files.UPLOAD, data)
    return job


STALE = ("导入已中断（处理它的服务进程已退出或重启），未写入任何数据；请重新上传该文件")
RUNNING = (QUEUED, CHECKING, WRITING)


def stale_jobs(app: Flask, now: datetime) -> list[int]:
    """Return the ids of jobs still marked running with no progress for IMPORT_STALE_MINUTES
    whose thread is not alive in this process: a process that died left them."""
    cutoff = now - timedelta(minutes=float(app.config["IMPORT_STALE_MINUTES"]))
    threads = app.extensions.get("import_threads", {})
    ids = db.session.scalars(select(ImportJob.id).where(
        ImportJob.status.in_(RUNNING), ImportJob.updated_at < cutoff,
        # a worker renewing its claim is alive, however slow its progress
        or_(ImportJob.lease_until.is_(None), ImportJob.lease_until < now)))
    return [i for i in ids if not (i in threads and threads[i].is_alive())]


def fail_stale(now: datetime) -> Counter[str]:
    """Mark the stale jobs failed with a Chinese message (no commit; also a scheduler job,
    so a restart leaves no job "checking")."""
    ids = stale_jobs(current_app._get_current_object(), now)  # type: ignore[attr-defined]
    if ids:
        db.session.execute(update(ImportJob).where(ImportJob.id.in_(ids), ImportJob.status.in_(
            RUNNING)).values(status=FAILED, message=STALE, updated_at=now))
        for job_id in ids:
            import_files.delete(job_id, import_files.UPLOAD)  # it holds ID numbers
    return Counter({"中断的导入已标为失败": len(ids)} if ids else {})


class _Refused(Exception):
    """The workbook cannot be imported as it is; ``message`` says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def run_job(app: Flask, job_id: int, accept_changes: bool = False) -> None:
    """Check and import one job; everything it writes commits at once, or not at all."""
    with app.app_context():
        try:
            # Once: a retry would write the error report and the progress again.
            run_unit(partial(_run, job_id, accept_changes), attempts=1)
        except _Refused as refused:
            _progress(job_id, status=REFUSED, message=refused.message)
        except Exception:
            log.exception("import job %s failed", job_id)
            _progress(job_id, status=FAILED, message="导入时发生内部错误，未写入任何数据；"
                      "请联系系统管理员")
        finally:
            import_files.delete(job_id, import_files.UPLOAD)  # the upload holds ID numbers
            db.session.remove()


def _progress(job_id: int, **values: Any) -> None:
    """Record progress on its own connection, so pollers see it while the import is open."""
    with db.engine.begin() as conn:
        conn.execute(update(ImportJob).where(ImportJob.id == job_id)
                     .values(updated_at=now_utc(), **values))


class _Counter:
    """Turn the importers' progress callbacks into throttled job-row updates."""

    def __init__(self, job_id: int, live: bool) -> None:
        self.job_id, self.live, self.done, self.shown = job_id, live, 0, 0

    def __call__(self, n: int) -> None:
        self.done += n
        # SQLite allows one writer: while the import holds it, progress waits for the commit.
        if self.live and self.done - self.shown >= 100:
            self.shown = self.done
            _progress(self.job_id, done=self.done)


def _run(job_id: int, accept_changes: bool) -> None:
    job = db.session.get(ImportJob, job_id)
    assert job is not None
    scope = db.session.get(Org, job.scope_org_id)
    assert scope is not None
    data = import_files.get(job_id, import_files.UPLOAD)
    if data is None:
        raise _Refused(UNREADABLE)
    source = io.BytesIO(data)
    try:
        if job.kind == MEMBERS:
            outcome = _members(job, scope, source, accept_changes or job.accept_changes)
        elif job.kind == ORGS:
            outcome = _orgs(job, scope, source)
        else:
            raise ValueError(job.kind)
    except SheetFormatError as e:
        raise _Refused(str(e)) from e
    except (OSError, KeyError, InvalidFileException, zipfile.BadZipFile):
        raise _Refused(UNREADABLE) from None
    problems, header_rows, values = outcome
    if problems:
        out = io.BytesIO()
        write_error_report(io.BytesIO(data), out, problems, header_rows)
        import_files.put(job_id, import_files.REPORT, out.getvalue())
        values["has_report"] = True
    audit.record(f"import.{job.kind}", actor=f"admin:{job.uploaded_by}", target_type="import_job",
                 target_id=job_id, file=job.filename, scope=scope.name, status=values["status"],
                 created=values.get("created", 0), updated=values.get("updated", 0),
                 error_rows=values.get("error_rows", 0))
    db.session.execute(update(ImportJob).where(ImportJob.id == job_id)
                       .values(updated_at=now_utc(), **values))


def _outcome(result: Any, job: ImportJob, blocked: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        "created": result.created, "updated": result.updated, "error_rows": result.error_rows,
        "warnings": result.warnings, "status": REFUSED if blocked else DONE,
    }
    if blocked:
        hold = "或“暂存为待修正”" if job.kind == MEMBERS else ""
        values["message"] = (f"有 {result.error_rows} 行错误，未导入任何数据；请下载错误报告改正后"
                             f"重新导入，或选择“跳过有错误的行”{hold}")
    else:
        values["message"] = result.summary()
    return values


def _members(job: ImportJob, scope: Org, source: IO[bytes], accept_changes: bool
             ) -> tuple[list[CellProblem], dict[str, int], dict[str, Any]]:
    sheet = read_members(source, today_local(), Limits.from_config(current_app.config))
    _progress(job.id, status=CHECKING, total=sheet.total, done=0)
    result = importing.ImportResult()
    pending = importing.check_members(sheet.rows, sheet.header, result, _Counter(job.id, True),
                                      hold=job.hold_invalid)
    in_scope = set(subtree_ids(scope))
    kept = []
    for p in pending:
        if p.org_id in in_scope:
            kept.append(p)
        else:  # the branch exists, but not where this user may write
            result.problems.append(sheet.header.problem(
                p.row, "branch", f"所在党支部“{p.record['branch']}”不在您的管理范围"
                f"（{scope.name}）内", "BRANCH_OUT_OF_SCOPE"))
            result.error_rows += 1
            result.held -= p.held is not None
    refusal = importing.renames_refusal(
        result, current_app.config["IMPORT_MAX_IDENTITY_CHANGES"],
        "请勾选“确认修改已有党员的姓名”后重新上传")
    if refusal and not accept_changes:
        raise _Refused(refusal)
    values: dict[str, Any] = {"rows": result.rows}
    blocked = bool(result.error_rows) and not (job.skip_invalid or job.hold_invalid)
    if not blocked and kept:
        live = db.engine.dialect.name != "sqlite"
        _progress(job.id, status=WRITING, total=len(kept), done=0)
        importing.write_members(kept, job.filename, result, _Counter(job.id, live))
    values.update(_outcome(result, job, blocked))
    return result.problems, {sheet.header.sheet: sheet.header.header_rows[0]}, values


def _orgs(job: ImportJob, scope: Org, source: IO[bytes]
          ) -> tuple[list[CellProblem], dict[str, int], dict[str, Any]]:
    sheet = read_orgs(source, today_local(), Limits.from_config(current_app.config))
    _progress(job.id, status=CHECKING, total=len(sheet.orgs), done=0)
    result = org_importing.OrgImportResult()
    valid = org_importing.check_orgs(sheet, result, within=scope)
    values: dict[str, Any] = {"rows": len(sheet.orgs)}
    blocked = bool(result.error_rows) and not job.skip_invalid
    if not blocked and valid:
        _progress(job.id, status=WRITING, total=len(valid), done=0)
        org_importing.write_orgs(sheet, valid, result)
    values.update(_outcome(result, job, blocked))
    if not blocked and result.placements:  # where the new orgs went, in plain words
        values["message"] += "。" + "；".join(plan_lines(result.placements, done=True))
    rows = {sheet.header.sheet: sheet.header.header_rows[0]}
    rows.update({p.sheet: 3 for p in result.problems if p.sheet not in rows})
    return result.problems, rows, values
