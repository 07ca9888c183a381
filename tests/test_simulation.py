"""A small campaign simulation through the real policy, outbox, dispatcher and SMS fake.

Only the invariants are asserted (the 95% target is bench/simulate_campaign.py's, at 10,000):
no member message queued or sent in quiet hours, no reminder step twice, no reminder after a
member settled, and the escalation actually ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from testkit import clock
from testkit.fakes.aliyun import FakeAliyunSms
from testkit.simulation import START, Simulation
from testkit.sms import sms_config

pytestmark = pytest.mark.slow  # a whole campaign, hour by hour

MEMBERS = 150


@pytest.fixture
def aliyun() -> Iterator[FakeAliyunSms]:
    fake = FakeAliyunSms().start()
    yield fake
    fake.stop()


def test_small_campaign_keeps_the_invariants(make_app: Any, aliyun: FakeAliyunSms) -> None:
    app = make_app(**sms_config(aliyun.url, None, "console,sms_aliyun"))
    with app.app_context():
        sim = Simulation(MEMBERS, seed=3)
        clock.install(lambda: sim.now)
        try:
            sim.setup(START)
            sim.run()
            report = sim.report()
        finally:
            clock.uninstall()
    assert report["members"] == MEMBERS
    assert report["quiet_messages"] == 0
    assert report["duplicate_steps"] == 0
    assert report["reminders_after_settle"] == 0
    assert report["call_tasks"] > 0 and aliyun.requests  # the ladder went past the messages
    assert report["messages_per_member"] > 1  # reminders were sent at all
    assert report["accounted"] > 0.8
