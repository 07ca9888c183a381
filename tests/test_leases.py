"""Named leases: one holder at a time, renewed by it, taken by another once it lapses."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from service import leases, scheduler
from service.extensions import db
from service.models import Lease
from service.scheduler_leader import Leadership
from testkit.clock import needs_real_timed_waits

# The lease keeper renews from a thread that sleeps in timed waits.
pytestmark = needs_real_timed_waits

T0 = datetime(2026, 12, 1, 2, 0)


def test_one_holder_until_the_lease_lapses(app_ctx: Flask) -> None:
    assert leases.acquire("scheduler", "a", 30, T0)
    assert not leases.acquire("scheduler", "b", 30, T0 + timedelta(seconds=10))
    assert leases.acquire("scheduler", "a", 30, T0 + timedelta(seconds=20))  # renewed
    assert not leases.acquire("scheduler", "b", 30, T0 + timedelta(seconds=45))
    assert leases.holder_of("scheduler", T0 + timedelta(seconds=45)) == "a"
    # a stopped renewing: after its lease b takes over, and a cannot take it back
    assert leases.acquire("scheduler", "b", 30, T0 + timedelta(seconds=51))
    assert not leases.acquire("scheduler", "a", 30, T0 + timedelta(seconds=52))
    assert leases.holder_of("scheduler", T0 + timedelta(seconds=90)) is None
    assert leases.acquire("other-role", "a", 30, T0)  # roles are independent


def test_released_lease_is_free_at_once(app_ctx: Flask) -> None:
    assert leases.acquire("scheduler", "a", 30, T0)
    assert not leases.release("scheduler", "b")
    assert leases.release("scheduler", "a")
    assert leases.acquire("scheduler", "b", 30, T0 + timedelta(seconds=1))


def test_jobs_do_not_run_without_the_lease(app: Flask, caplog: pytest.LogCaptureFixture
                                           ) -> None:
    first = Leadership(app, "a", seconds=30)
    second = Leadership(app, "b", seconds=30)
    assert first._try() and not second._try()
    with app.app_context():
        scheduler.build_scheduler(app)  # run_job needs the app it was built with
    caplog.set_level(logging.INFO)
    try:
        scheduler.follow(second)
        assert not second.holds()
        scheduler.run_job("deadline-digests")
        assert refused(caplog) == 1 and ran(caplog) == 0  # not the holder
        scheduler.follow(first)
        assert first.holds()
        scheduler.run_job("deadline-digests")
        assert refused(caplog) == 1 and ran(caplog) == 1
        first.lost.set()
        scheduler.run_job("deadline-digests")
        assert refused(caplog) == 2 and ran(caplog) == 1  # lost it
        first.lost.clear()
        first.stop()  # a clean stop gives the lease up: it passes at once
        assert second._try() and second.holds()
    finally:
        scheduler.follow(None)


def refused(caplog: pytest.LogCaptureFixture) -> int:
    return sum("没有调度权" in r.getMessage() for r in caplog.records)


def ran(caplog: pytest.LogCaptureFixture) -> int:
    return sum("定时任务 deadline-digests 完成" in r.getMessage() for r in caplog.records)


def test_acquired_at_marks_the_takeover_not_the_renewals(app_ctx: Flask) -> None:
    leases.acquire("scheduler", "a", 30, T0)
    leases.acquire("scheduler", "a", 30, T0 + timedelta(seconds=10))
    assert db.session.scalar(select(Lease.acquired_at)) == T0
    leases.acquire("scheduler", "b", 30, T0 + timedelta(seconds=60))
    db.session.expire_all()
    assert db.session.scalar(select(Lease.acquired_at)) == T0 + timedelta(seconds=60)


def test_a_holder_that_cannot_renew_stops_before_its_lease_ends(app: Flask) -> None:
    leader = Leadership(app, "a", seconds=1)
    assert leader._try()
    stopped = threading.Event()
    leader.keep(on_lost=stopped.set)
    try:
        with app.app_context():  # another process took the role (as after a long stall)
            later = leases.wall_utc() + timedelta(seconds=5)
            assert leases.acquire("scheduler", "b", 30, later)
        assert stopped.wait(5)
        assert leader.lost.is_set() and not leader.holds()
    finally:
        leader.stop()
    with app.app_context():  # it lost the lease: stopping does not take it from b
        assert leases.holder_of("scheduler", later) == "b"
