"""The files of a web import (the upload, the error report): sealed in storage, then deleted.

Both hold the roster's ID numbers. The upload goes as soon as its job ends; the report stays
for the uploader to download for IMPORT_REPORT_RETENTION_DAYS (default 7), and the scheduler's
``purge_reports`` removes it after that, together with anything an interrupted job left.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from service import storage
from service.extensions import db
from service.models import ImportJob
from service.sealing import Unsealable, sealer

UPLOAD = "upload.xlsx"
REPORT = "errors.xlsx"
DEFAULT_RETENTION_DAYS = 7


def _key(job_id: int, name: str) -> str:
    return f"{job_id}/{name}"


def put(job_id: int, name: str, data: bytes) -> None:
    """Seal and store one of a job's files."""
    key = _key(job_id, name)
    storage.store(storage.IMPORTS).put(key, sealer().seal(data, f"imports/{key}"))


def get(job_id: int, name: str) -> bytes | None:
    """Return one of a job's files, unsealed, or None if it is not (or no longer) there."""
    key = _key(job_id, name)
    sealed = storage.store(storage.IMPORTS).get(key)
    return None if sealed is None else sealer().open(sealed, f"imports/{key}")


def stored_jobs(after: int, limit: int) -> list[int]:
    """Return the ids (above ``after``, in order, at most ``limit``) of jobs with stored files."""
    found = {int(key.split("/", 1)[0]) for key in storage.store(storage.IMPORTS).keys("")
             if key.split("/", 1)[0].isdigit()}
    return sorted(i for i in found if i > after)[:limit]


def rekey(job_id: int, *, write: bool) -> tuple[int, int]:
    """Re-seal a job's files still under the old data key (in place, with ``write``).

    Return how many were under the old key and how many neither key opens.
    """
    store = storage.store(storage.IMPORTS)
    stale = unreadable = 0
    for key in store.keys(f"{job_id}/"):
        sealed = store.get(key)
        if sealed is None:
            continue  # removed meanwhile (the job ended)
        try:
            _, resealed = sealer().reseal(sealed, f"imports/{key}")
        except Unsealable:
            unreadable += 1
            continue
        if resealed is not None:
            stale += 1
            if write:  # the same key: the store replaces it whole
                store.put(key, resealed)
    return stale, unreadable


def delete(job_id: int, name: str) -> None:
    """Remove one of a job's files (missing is fine)."""
    storage.store(storage.IMPORTS).delete(_key(job_id, name))


def retention() -> timedelta:
    """Return how long error reports are kept."""
    days = current_app.config.get("IMPORT_REPORT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
    return timedelta(days=float(days))


def purge_reports(now: datetime) -> Counter[str]:
    """Delete error reports (and stray uploads) older than the retention period (a job)."""
    cutoff = now - retention()
    done: Counter[str] = Counter()
    expired = db.session.scalars(select(ImportJob).where(
        ImportJob.has_report.is_(True), ImportJob.updated_at < cutoff))
    for job in expired:
        delete(job.id, REPORT)
        job.has_report = False
        done["导入错误报告已删除"] += 1
    store = storage.store(storage.IMPORTS)
    for key in store.older_than("", cutoff):  # files of jobs a crash left behind
        store.delete(key)
        done["过期导入文件已删除"] += 1
    return done
