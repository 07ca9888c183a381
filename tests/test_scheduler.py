"""The scheduler's wiring: jobs as data, one transaction per job, the database job store."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import func, select

from service import scheduler
from service.extensions import db
from service.models import AuditLog
from service.models.reminder import scheduler_jobs


def test_jobs_have_unique_ids_and_importable_functions() -> None:
    ids = [job.id for job in scheduler.JOBS]
    assert len(ids) == len(set(ids))
    for job in scheduler.JOBS:
        assert callable(scheduler.job_function(job))
        assert job.cron and set(job.cron) <= {"minute", "hour", "day_of_week", "second"}


def test_built_scheduler_uses_shanghai_time_the_db_store_and_catch_up_settings(
    app: Flask,
) -> None:
    with app.app_context():
        sched = scheduler.build_scheduler(app)
        jobs = sched.get_jobs()  # not started: the jobs wait to be written to the store
    assert sched.timezone == ZoneInfo("Asia/Shanghai")
    assert {j.id for j in jobs} == {job.id for job in scheduler.JOBS}
    assert all(j.trigger.timezone == ZoneInfo("Asia/Shanghai") for j in jobs)
    defaults = sched._job_defaults
    assert defaults["coalesce"] is True and defaults["max_instances"] == 1
    assert defaults["misfire_grace_time"] == scheduler.DEFAULT_GRACE_SECONDS
    store = sched._jobstores["default"]
    assert store.jobs_t.name == "apscheduler_jobs"


def test_started_scheduler_stores_jobs_and_pruning_drops_undeclared_ones(app: Flask) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    with app.app_context():
        sched = scheduler.build_scheduler(app)
        # The same jobs in a background scheduler, so the test can start and stop it.
        bg = BackgroundScheduler(jobstores=sched._jobstores, timezone=sched.timezone)
        for job in scheduler.JOBS:
            bg.add_job(scheduler.run_job, "cron", args=[job.id], id=job.id,
                       replace_existing=True, **job.cron)
        bg.add_job(scheduler.run_job, "cron", args=["gone"], id="gone", minute="0")
        bg.start(paused=True)
        bg.shutdown(wait=False)
        stored = set(db.session.scalars(select(scheduler_jobs.c.id)))
        assert stored == {job.id for job in scheduler.JOBS} | {"gone"}
        assert scheduler.prune_stale_jobs() == 1
        assert set(db.session.scalars(select(scheduler_jobs.c.id))) == {
            job.id for job in scheduler.JOBS}


def test_run_job_commits_on_success_and_rolls_back_on_failure(
    app: Flask, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from service import audit

    def writes(now: datetime) -> Counter[str]:
        audit.record("test.job", actor="scheduler")
        return Counter(done=1)

    def fails(now: datetime) -> Counter[str]:
        audit.record("test.job", actor="scheduler")
        raise RuntimeError("boom")

    job = scheduler.JOBS[0]
    monkeypatch.setattr(scheduler, "job_function", lambda j: writes)
    assert scheduler.run_job(job.id, app) == Counter(done=1)
    monkeypatch.setattr(scheduler, "job_function", lambda j: fails)
    with pytest.raises(RuntimeError):
        scheduler.run_job(job.id, app)
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(AuditLog)
                              .where(AuditLog.action == "test.job"))
    assert n == 1


def test_tick_command_runs_every_job_now(runner: Any, app: Flask) -> None:
    from tests.reminder_helpers import controlled_clock, started_at

    with controlled_clock() as clock:
        with app.app_context():
            started_at(members_per_branch=1)
        clock.set("2026-12-01 10:00")
        result = runner.invoke(args=["scheduler", "tick"])
        assert result.exit_code == 0, result.output
        assert "2026-12-01 10:00" in result.output and "短信提醒 2" in result.output
        clock.set("2026-12-01 10:30")
        again = runner.invoke(args=["scheduler", "tick"])
        assert "无到期事项" in again.output
    # The time is the process's own: there is no option to pretend another.
    bad = runner.invoke(args=["scheduler", "tick", "--at", "2026-12-01 10:00"])
    assert bad.exit_code != 0 and "--at" in bad.output
