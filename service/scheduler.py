"""The scheduler: jobs declared as data, built into one APScheduler in one dedicated process.

Run it with ``flask --app service scheduler run``, never inside web workers (one scheduler
per process would remind everyone once per worker). Of several such processes only the one
holding the scheduler lease runs jobs (``service.scheduler_leader``); the others stand by.
Jobs live in the database (``apscheduler_jobs``, migration 0008) under stable ids, in
Asia/Shanghai. After downtime a missed run is made once (``coalesce``) if within
``SCHEDULER_MISFIRE_GRACE_SECONDS``; beyond that the next run catches up anyway, because
every job decides from the database what is due and keys what it queues deterministically:
a run repeated or skipped sends nothing twice and misses nothing.
"""

from __future__ import annotations

import importlib
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import delete

from service.clock import now_utc
from service.extensions import db
from service.models.reminder import SCHEDULER_JOBS_TABLE, scheduler_jobs
from service.unit_of_work import run_unit

if TYPE_CHECKING:
    from service.scheduler_leader import Leadership

log = logging.getLogger(__name__)
DEFAULT_GRACE_SECONDS = 1800


@dataclass(frozen=True)
class Job:
    """A periodic job: stable id, "module:function" taking ``now`` (naive UTC), cron fields."""

    id: str
    func: str
    cron: dict[str, Any] = field(default_factory=dict)
    label: str = ""


JOBS: tuple[Job, ...] = (
    # Half-hourly: a member due at the send hour gets the reminder within 30 minutes, and a
    # restart mid-morning catches up at the next half hour.
    Job("member-reminders", "service.campaign.escalation:remind_members",
        {"minute": "0,30"}, "党员提醒与逐级升级"),
    Job("deadline-digests", "service.campaign.digests:send_digests",
        {"minute": "5"}, "截止日期汇总提醒"),
    Job("correction-reminders", "service.campaign.digests:remind_corrections",
        {"minute": "10"}, "修改申请催办"),
    Job("import-report-retention", "service.admin.import_files:purge_reports",
        {"minute": "20"}, "删除过期的导入错误报告"),
)
JOBS_BY_ID = {job.id: job for job in JOBS}

_app: Flask | None = None  # set by build_scheduler; the job store pickles ids, not apps
_leader: Leadership | None = None  # set by `scheduler run`: jobs run only while it holds


def job_function(job: Job) -> Callable[[datetime], Counter[str]]:
    """Import and return the job's function."""
    module, name = job.func.split(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def run_job(job_id: str, app: Flask | None = None) -> Counter[str]:
    """Run one job in its own app context and one transaction; log what it did."""
    app = app or _app
    if app is None:
        raise RuntimeError("scheduler jobs need build_scheduler(app) first")
    if _leader is not None and not _leader.holds():
        log.warning("本进程没有调度权，不运行定时任务 %s", job_id)
        return Counter()
    job = JOBS_BY_ID[job_id]
    func = job_function(job)
    with app.app_context():
        try:
            done = run_unit(lambda: func(now_utc()))
        except Exception:
            log.exception("定时任务 %s 失败，已回滚", job_id)
            raise
        summary = "，".join(f"{k} {v}" for k, v in sorted(done.items()) if v) or "无到期事项"
        log.info("定时任务 %s 完成：%s", job_id, summary)
    return done


def build_scheduler(app: Flask) -> BlockingScheduler:
    """Return the scheduler with every job of JOBS added (call inside an app context)."""
    global _app
    _app = app
    grace = int(app.config.get("SCHEDULER_MISFIRE_GRACE_SECONDS") or DEFAULT_GRACE_SECONDS)
    scheduler = BlockingScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=db.engine,
                                                 tablename=SCHEDULER_JOBS_TABLE)},
        # One worker thread: jobs run one after another, never two transactions of ours at once.
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace},
        timezone=ZoneInfo(app.config.get("TIMEZONE") or "Asia/Shanghai"),
    )
    for job in JOBS:  # the "cron" alias gets the scheduler's timezone
        scheduler.add_job(run_job, "cron", args=[job.id], id=job.id, name=job.label or job.id,
                          replace_existing=True, **job.cron)
    return scheduler


def follow(leader: Leadership | None) -> None:
    """Make ``run_job`` refuse to run unless ``leader`` holds the scheduler lease."""
    global _leader
    _leader = leader


def prune_stale_jobs() -> int:
    """Delete stored jobs no longer declared in JOBS (renamed or removed); return how many."""
    return run_unit(_prune)


def _prune() -> int:
    removed = db.session.execute(
        delete(scheduler_jobs).where(scheduler_jobs.c.id.not_in(list(JOBS_BY_ID))))
    return int(removed.rowcount or 0)


def run_all(now: datetime) -> Counter[str]:
    """Run every job once at ``now``, each in its own transaction (``flask scheduler tick``)."""
    done: Counter[str] = Counter()
    for job in JOBS:
        func = job_function(job)
        done.update(run_unit(lambda f=func: f(now)))
    return done
