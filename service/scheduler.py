"""The scheduler: jobs declared as data, built into one APScheduler in one dedicated process.

Run it with ``flask --app service scheduler run``, never inside web workers (one scheduler
per process would remind everyone once per worker). Of several such processes only the one
holding the scheduler lease runs jobs (``service.scheduler_leader``); the others stand by.
Jobs live in the database (``apscheduler_jobs``) under stable ids, in Asia/Shanghai. After
downtime a missed run is made once (``coalesce``) if within
``SCHEDULER_MISFIRE_GRACE_SECONDS``: a restart keeps each stored
job's next run time while its trigger is unchanged (re-adding it would move that time past
the missed run), and a run cut by a crash (``scheduler_runs`` still says it is under way) is
made again at once. Beyond the grace the next run catches up anyway, because every job
decides from the database what is due and keys what it queues deterministically: a run
repeated or skipped sends nothing twice and misses nothing.
"""

from __future__ import annotations

import importlib
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from flask import Flask
from sqlalchemy import delete, insert, select, update

from service.clock import now_utc
from service.extensions import db
from service.models.reminder import SCHEDULER_JOBS_TABLE, scheduler_jobs, scheduler_runs
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
    # A web import whose process died stays "checking" until this marks it failed.
    Job("stale-imports", "service.admin.import_jobs:fail_stale",
        {"minute": "*/5"}, "标记中断的导入任务"),
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
        run_unit(lambda: _mark_running(job_id, real_now()))
        try:
            # The run and the end of its mark commit together: a crash leaves the mark.
            done = run_unit(lambda: (func(now_utc()), _mark_running(job_id, None))[0])
        except Exception:
            log.exception("定时任务 %s 失败，已回滚", job_id)
            raise
        summary = "，".join(f"{k} {v}" for k, v in sorted(done.items()) if v) or "无到期事项"
        log.info("定时任务 %s 完成：%s", job_id, summary)
    return done


def real_now() -> datetime:
    """Return the wall clock as naive UTC: APScheduler runs by it, whatever the app's clock."""
    return datetime.now(UTC).replace(tzinfo=None)


def build_scheduler(app: Flask, kind: type[BaseScheduler] = BlockingScheduler) -> Any:
    """Return the scheduler with every job of JOBS added (call inside an app context).

    A stored job whose trigger is unchanged keeps its next run time, so a run missed while
    the process was down is made on start (within the grace); a run cut mid-way is due now.
    """
    global _app
    _app = app
    grace = int(app.config.get("SCHEDULER_MISFIRE_GRACE_SECONDS") or DEFAULT_GRACE_SECONDS)
    store = SQLAlchemyJobStore(engine=db.engine, tablename=SCHEDULER_JOBS_TABLE)
    scheduler = kind(
        jobstores={"default": store},
        # One worker thread: jobs run one after another, never two transactions of ours at once.
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace},
        timezone=ZoneInfo(app.config.get("TIMEZONE") or "Asia/Shanghai"),
    )
    cut = run_unit(partial(_cut_runs, real_now() - timedelta(seconds=grace)))  # no txn left open
    for job in JOBS:
        trigger = CronTrigger(timezone=scheduler.timezone, **job.cron)
        kept: dict[str, Any] = {}
        stored = _stored(store, job.id)
        if job.id in cut:
            kept["next_run_time"] = datetime.now(scheduler.timezone)
        elif stored is not None and _same(stored.trigger, trigger):
            kept["next_run_time"] = stored.next_run_time
        scheduler.add_job(run_job, trigger, args=[job.id], id=job.id, name=job.label or job.id,
                          replace_existing=True, **kept)
    return scheduler


def _same(old: BaseTrigger, new: BaseTrigger) -> bool:
    return (type(old) is type(new) and str(old) == str(new)
            and str(getattr(old, "timezone", "")) == str(getattr(new, "timezone", "")))


def _stored(store: SQLAlchemyJobStore, job_id: str) -> Any:
    try:
        return store.lookup_job(job_id)
    except Exception:  # unreadable (a renamed function): replaced as if new
        log.warning("定时任务 %s 的存储记录无法读取，按新任务添加", job_id)
        return None


def _cut_runs(since: datetime) -> set[str]:
    """Return the jobs whose run began after ``since`` and never finished (a crash cut it)."""
    return set(db.session.scalars(select(scheduler_runs.c.job_id).where(
        scheduler_runs.c.running_since.is_not(None), scheduler_runs.c.running_since >= since)))


def _mark_running(job_id: str, since: datetime | None) -> None:
    moved = db.session.execute(update(scheduler_runs).where(scheduler_runs.c.job_id == job_id)
                               .values(running_since=since))
    if not moved.rowcount:
        db.session.execute(insert(scheduler_runs).values(job_id=job_id, running_since=since))


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
