"""The per-provider send rate limit is shared by workers (one-second windows in the database)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from service.extensions import db
from service.models import SendRateWindow
from service.models.outbox import PENDING, SENT
from service.notify import ratelimit
from service.notify.channel import Deferred
from service.notify.dispatch import drain
from testkit.fakes.aliyun import FakeAliyunSms
from testkit.sms import sms_config
from testkit.workflow import started
from tests.wechat_helpers import outbox_rows

SECOND = 1_900_000_000.25

@pytest.fixture
def pinned() -> Iterator[time_machine.Traveller]:
    """Freeze the clock inside one second; tests move it by hand."""
    with time_machine.travel(SECOND, tick=False) as traveller:
        yield traveller


def test_two_workers_share_one_limit(make_app: Callable[..., Flask],
                                     pinned: time_machine.Traveller) -> None:
    workers = [make_app(NOTIFY_RATE_SMS_ALIYUN=3, NOTIFY_RATE_MAX_WAIT=0) for _ in range(2)]
    outcomes: Counter[str] = Counter()
    for i in range(8):
        with workers[i % 2].app_context():
            try:
                ratelimit.acquire("sms_aliyun")
                outcomes["sent"] += 1
            except Deferred as exc:
                assert exc.code == "rate_limit" and exc.retry_after
                outcomes["deferred"] += 1
    assert outcomes == {"sent": 3, "deferred": 5}
    pinned.shift(1)  # the next second has its own window
    with workers[1].app_context():
        ratelimit.acquire("sms_aliyun")
        assert ratelimit.limit_for("wechat_oa") == 50  # the default

def test_a_high_limit_takes_slots_in_blocks(make_app: Callable[..., Flask],
                                            pinned: time_machine.Traveller) -> None:
    with make_app(NOTIFY_RATE_WECHAT_OA=100).app_context():
        for _ in range(7):
            ratelimit.acquire("wechat_oa")
        taken = db.session.scalars(select(SendRateWindow.sent)).all()
    assert taken == [10]  # two blocks of five for seven sends: one write per block

def test_concurrent_drains_respect_the_limit(make_app: Callable[..., Flask], ali: FakeAliyunSms,
                                             pinned: time_machine.Traveller) -> None:
    settings = sms_config(ali.url, None, "sms_aliyun", NOTIFY_RATE_SMS_ALIYUN=3,
                          NOTIFY_RATE_MAX_WAIT=0)
    workers = [make_app(**settings) for _ in range(2)]
    with workers[0].app_context():
        started(members_per_branch=4)
    done: list[Counter[str]] = []

    def work(app: Flask, name: str) -> None:
        with app.app_context():
            done.append(drain(name, batch=2, once=True))

    threads = [threading.Thread(target=work, args=(app, f"w{i}"))
               for i, app in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ali.requests) == 3 and sum(done, Counter())["sent"] == 3
    with workers[0].app_context():
        rows = outbox_rows()
        waiting = [r for r in rows if r.state == PENDING]
        assert len([r for r in rows if r.state == SENT]) == 3 and len(waiting) == 5
        assert all(r.attempts == 0 and "rate_limit" in r.last_error for r in waiting)

def test_unlimited_provider_takes_no_slot(make_app: Callable[..., Flask],
                                          pinned: time_machine.Traveller) -> None:
    with make_app(NOTIFY_RATE_SMS_TENCENT=0).app_context():
        for _ in range(5):
            ratelimit.acquire("sms_tencent")
        assert db.session.scalars(select(SendRateWindow)).all() == []

def test_waits_for_the_next_second_when_allowed(make_app: Callable[..., Flask]) -> None:
    with make_app(NOTIFY_RATE_WECHAT_MP=1, NOTIFY_RATE_MAX_WAIT=2.5).app_context():
        for _ in range(2):  # the second waits for the next window instead of deferring
            ratelimit.acquire("wechat_mp")
        windows = db.session.scalars(select(SendRateWindow.window)
                                     .order_by(SendRateWindow.window)).all()
    assert len(windows) == 2 and windows[1] > windows[0]

__all__: list[Any] = []
