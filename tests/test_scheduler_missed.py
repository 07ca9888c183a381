"""The scheduler keeps its promise across a restart: a missed run, or one cut mid-way, is made.

The real job store (``apscheduler_jobs``) and a started scheduler; the job functions are
stubs that count their calls. Times are derived from the wall clock at the test's start (the
scheduler runs by it): a run "missed" a minute ago, or one beyond the grace period.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import select

from service import scheduler
from service.extensions import db
from service.models.reminder import SCHEDULER_JOBS_TABLE, scheduler_jobs, scheduler_runs
from testkit.clock import needs_real_timed_waits

JOB = scheduler.JOBS[0].id
WAIT = 10.0  # seconds: a due job runs at once; only a broken scheduler gets near this

pytestmark = needs_real_timed_waits  # a BackgroundScheduler thread runs in this process


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Stub every job: count its runs, and signal when any ran."""
    seen: Counter[str] = Counter()
    ran = threading.Event()

    def stub(job: scheduler.Job):  # type: ignore[no-untyped-def]
        def run(now: datetime) -> Counter[str]:
            seen[job.id] += 1
            ran.set()
            return Counter()
        return run

    monkeypatch.setattr(scheduler, "job_function", stub)
    seen.ran = ran  # type: ignore[attr-defined]
    yield seen


def _start(app: Flask) -> BackgroundScheduler:
    sched = scheduler.build_scheduler(app, BackgroundScheduler)
    sched.start()
    return sched


def _stored_next(job_id: str) -> float:
    db.session.rollback()
    return db.session.scalar(select(scheduler_jobs.c.next_run_time)
                             .where(scheduler_jobs.c.id == job_id))


def _miss(job_id: str, ago: timedelta) -> None:
    """Play downtime: the job's stored next run came ``ago`` before now."""
    store = SQLAlchemyJobStore(engine=db.engine, tablename=SCHEDULER_JOBS_TABLE)
    job = store.lookup_job(job_id)
    job.next_run_time = datetime.now(UTC) - ago
    store.update_job(job)


def _first_run(app: Flask) -> None:
    """The scheduler ran once before: its jobs are in the store, none due."""
    with app.app_context():
        sched = scheduler.build_scheduler(app, BackgroundScheduler)
        sched.start(paused=True)
        sched.shutdown(wait=True)


def test_a_run_missed_while_down_is_made_once_on_restart(app: Flask, calls: Counter[str]) -> None:
    _first_run(app)
    with app.app_context():
        _miss(JOB, timedelta(minutes=1))
        sched = _start(app)
        try:
            assert calls.ran.wait(WAIT)  # type: ignore[attr-defined]
        finally:
            sched.shutdown(wait=True)
        # Made once, and the store now points at the next regular run, in the future.
        assert calls == Counter({JOB: 1})
        assert _stored_next(JOB) > datetime.now(UTC).timestamp()


def test_a_run_missed_beyond_the_grace_period_waits_for_the_next(
        app: Flask, calls: Counter[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # A daily job whose one run came an hour ago (beyond the half-hour grace): no later run
    # of its trigger lies between, so nothing is due until tomorrow.
    missed = datetime.now(ZoneInfo("Asia/Shanghai")).replace(second=0, microsecond=0) \
        - timedelta(hours=1)
    daily = scheduler.Job("daily", "unused:stub", {"hour": missed.hour, "minute": missed.minute})
    monkeypatch.setattr(scheduler, "JOBS", (daily,))
    monkeypatch.setattr(scheduler, "JOBS_BY_ID", {daily.id: daily})
    _first_run(app)
    with app.app_context():
        _miss(daily.id, datetime.now(UTC) - missed)
        sched = _start(app)
        try:
            assert not calls.ran.wait(1.0)  # type: ignore[attr-defined]
        finally:
            sched.shutdown(wait=True)
        assert calls == Counter()
        assert _stored_next(daily.id) > datetime.now(UTC).timestamp()


def test_restarting_keeps_the_stored_next_run_when_the_trigger_is_unchanged(
        app: Flask, calls: Counter[str]) -> None:
    _first_run(app)
    with app.app_context():
        before = _stored_next(JOB)
        _first_run(app)
        assert _stored_next(JOB) == before


def test_a_run_cut_by_a_crash_is_made_again_on_restart(app: Flask, calls: Counter[str]) -> None:
    _first_run(app)
    with app.app_context():
        # The process died mid-run ten seconds ago: the run's mark is still set.
        db.session.execute(scheduler_runs.insert().values(
            job_id=JOB, running_since=scheduler.real_now() - timedelta(seconds=10)))
        db.session.commit()
        sched = _start(app)
        try:
            assert calls.ran.wait(WAIT)  # type: ignore[attr-defined]
        finally:
            sched.shutdown(wait=True)
        assert calls == Counter({JOB: 1})
        db.session.rollback()
        assert db.session.scalar(select(scheduler_runs.c.running_since)
                                 .where(scheduler_runs.c.job_id == JOB)) is None


def test_a_run_that_fails_keeps_its_mark_and_one_that_succeeds_clears_it(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(now: datetime) -> Counter[str]:
        raise RuntimeError("boom")

    monkeypatch.setattr(scheduler, "job_function", lambda job: fails)
    with pytest.raises(RuntimeError):
        scheduler.run_job(JOB, app)
    with app.app_context():
        mark = db.session.scalar(select(scheduler_runs.c.running_since)
                                 .where(scheduler_runs.c.job_id == JOB))
        assert mark is not None
    monkeypatch.setattr(scheduler, "job_function", lambda job: lambda now: Counter(done=1))
    assert scheduler.run_job(JOB, app) == Counter(done=1)
    with app.app_context():
        assert db.session.scalar(select(scheduler_runs.c.running_since)
                                 .where(scheduler_runs.c.job_id == JOB)) is None
