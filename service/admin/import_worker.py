"""Who runs a web import: claims with a lease and a heartbeat, so a dead runner's job is taken
again (or failed with a message) and never stays 检查中 or 写入中.

A job is claimed by one atomic UPDATE that only matches while it is free: queued and never
claimed, or its lease past (its runner stopped renewing). The runner renews the lease from a
thread on its own connection while the import's one transaction is open. An import writes
nothing until it commits, so a job taken over is simply run again from the start; after
``IMPORT_MAX_ATTEMPTS`` claims it is failed instead, naming why. ``IMPORT_RUNNER`` says who
claims: the web process that took the upload (``thread``) or `flask imports work` processes
(``worker``, any number on any hosts).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import and_, or_, select, update
from sqlalchemy.sql import ColumnElement

from service.admin import import_files, import_jobs
from service.extensions import db
from service.leases import wall_utc
from service.models import ImportJob
from service.models.import_job import CHECKING, FAILED, FINISHED, QUEUED, WRITING
from service.unit_of_work import run_unit

log = logging.getLogger(__name__)
THREAD, WORKER = "thread", "worker"


def gave_up(attempts: int) -> str:
    """The message on a job whose runner died ``attempts`` times."""
    return (f"导入进程在处理中途中断，已尝试 {attempts} 次仍未完成，未写入任何数据；"
            "请重新上传该文件，如再次出现请联系系统管理员查看导入进程的日志")


def worker_name(prefix: str = "") -> str:
    """A runner's default name: host and process id."""
    return f"{prefix}{socket.gethostname()}:{os.getpid()}"


def settings(app: Flask) -> tuple[float, int]:
    """Return the lease length (seconds) and the claims a job gets."""
    return (float(app.config.get("IMPORT_LEASE_SECONDS") or 120),
            int(app.config.get("IMPORT_MAX_ATTEMPTS") or 3))


def _free(now: datetime) -> ColumnElement[bool]:
    """Jobs nobody runs: queued and never claimed, or claimed by a runner that stopped."""
    return and_(ImportJob.status.not_in(FINISHED), or_(
        and_(ImportJob.status == QUEUED, ImportJob.worker_id.is_(None)),
        ImportJob.lease_until < now,
        # Running with no lease at all: started by a version that had none, then left.
        and_(ImportJob.status.in_((CHECKING, WRITING)), ImportJob.lease_until.is_(None)),
    ))


GAVE_UP = "gave_up"


def claim(job_id: int, worker: str, now: datetime, seconds: float, max_attempts: int
          ) -> bool | str:
    """Claim one job if it is free (no commit): True if claimed, ``GAVE_UP`` if it was out of
    attempts and is now failed, False if another runner has it or it has ended."""
    owned = update(ImportJob).where(ImportJob.id == job_id, _free(now))
    given_up = db.session.execute(owned.where(ImportJob.attempts >= max_attempts).values(
        status=FAILED, message=gave_up(max_attempts), lease_until=None, updated_at=now))
    if given_up.rowcount:
        log.warning("import job %s failed after %s attempts", job_id, max_attempts)
        return GAVE_UP
    taken = db.session.execute(owned.values(
        worker_id=worker[:128], lease_until=now + timedelta(seconds=seconds),
        attempts=ImportJob.attempts + 1, done=0, updated_at=now))
    return bool(taken.rowcount)


def claim_next(worker: str, now: datetime, seconds: float, max_attempts: int
               ) -> tuple[int | None, list[int]]:
    """Claim the oldest free job (no commit); return its id (or None) and the jobs failed on
    the way for lack of attempts."""
    failed = []
    for job_id in db.session.scalars(select(ImportJob.id).where(_free(now))
                                     .order_by(ImportJob.id).limit(20)):
        outcome = claim(job_id, worker, now, seconds, max_attempts)
        if outcome == GAVE_UP:
            failed.append(job_id)
        elif outcome:
            return job_id, failed
    return None, failed


def renew(job_id: int, worker: str, seconds: float) -> bool:
    """Extend this runner's lease on its own connection; False if the job is no longer ours."""
    with db.engine.begin() as conn:
        kept = conn.execute(update(ImportJob).where(
            ImportJob.id == job_id, ImportJob.worker_id == worker[:128],
            ImportJob.status.not_in(FINISHED),
        ).values(lease_until=wall_utc() + timedelta(seconds=seconds)))
    return bool(kept.rowcount)


def run_claimed(app: Flask, job_id: int, worker: str) -> None:
    """Run a job this runner has claimed, renewing the lease until it ends."""
    seconds, _ = settings(app)
    ended = threading.Event()

    def heartbeat() -> None:
        with app.app_context():
            while not ended.wait(seconds / 3):
                try:
                    if not renew(job_id, worker, seconds):
                        return
                except Exception:  # SQLite busy under the import's write: try again later
                    log.warning("import job %s: lease renewal failed", job_id, exc_info=True)

    beat = threading.Thread(target=heartbeat, name=f"import-lease-{job_id}", daemon=True)
    beat.start()
    try:
        import_jobs.run_job(app, job_id)
    finally:
        ended.set()
        beat.join(timeout=seconds)
        with app.app_context():
            with db.engine.begin() as conn:
                mine = update(ImportJob).where(ImportJob.id == job_id,
                                               ImportJob.worker_id == worker[:128])
                # Finished: nothing left to take over. Interrupted (the process is being
                # stopped): let the next worker take it at once rather than after the lease.
                conn.execute(mine.where(ImportJob.status.in_(FINISHED)).values(lease_until=None))
                conn.execute(mine.where(ImportJob.status.not_in(FINISHED))
                             .values(lease_until=wall_utc() - timedelta(seconds=1)))


def dispatch(app: Flask, job_id: int) -> threading.Thread | None:
    """After an upload commits: run it in a thread here, or leave it queued for the workers."""
    if app.config.get("IMPORT_RUNNER", THREAD) == WORKER:
        return None
    worker = worker_name("web:")
    thread = threading.Thread(target=_claim_and_run, args=(app, job_id, worker),
                              name=f"import-{job_id}", daemon=True)
    app.extensions.setdefault("import_threads", {})[job_id] = thread
    thread.start()
    return thread


def _claim_and_run(app: Flask, job_id: int, worker: str) -> None:
    seconds, attempts = settings(app)
    with app.app_context():
        outcome = run_unit(lambda: claim(job_id, worker, wall_utc(), seconds, attempts))
        if outcome == GAVE_UP:
            import_files.delete(job_id, import_files.UPLOAD)
        db.session.remove()
    if outcome is True:
        run_claimed(app, job_id, worker)


def work(app: Flask, worker: str, *, once: bool = False, idle_sleep: float = 2.0,
         should_stop: Callable[[], bool] = lambda: False) -> int:
    """Claim and run free jobs until stopped (or, with ``once``, none is free); return how many."""
    seconds, attempts = settings(app)
    ran = 0
    while not should_stop():
        with app.app_context():
            job_id, failed = run_unit(lambda: claim_next(worker, wall_utc(), seconds, attempts))
            for gone in failed:  # the upload holds ID numbers: it goes when the job ends
                import_files.delete(gone, import_files.UPLOAD)
            db.session.remove()
        if job_id is None:
            if once:
                break
            deadline = time.monotonic() + idle_sleep
            while time.monotonic() < deadline and not should_stop():
                time.sleep(0.1)
            continue
        log.info("导入进程 %s 开始处理导入任务 #%s", worker, job_id)
        run_claimed(app, job_id, worker)
        ran += 1
    return ran
