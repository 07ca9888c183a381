"""Workers SIGKILLed at random moments lose nothing and resend only what they held in flight.

Real `flask outbox drain` processes (two sends in flight each) send a campaign's cards through
the Aliyun fake while the test kills one with SIGKILL at a random moment while it holds a
lease, and starts a new one in its place. Right after each kill it notes which rows the dead
worker held: only those may reach the provider twice. At the end every row is sent, every card
reached the provider, and the ledger holds exactly one "sent" entry per row. A worker commits
each call's start and answer as it goes, so a kill resends at most the calls under way then
(two per kill), never the rest of the batch it claimed. With the fake that
answers QuerySendDetails, rows the dead worker had already sent are found there and recorded
("reconciled") instead of being sent again. The drill is testkit.outbox_crash;
bench/outbox_crash.py runs it with 1,000.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from service.extensions import db
from service.models import OutboxMessage
from testkit.fakes.aliyun import FakeAliyunSms
from testkit.fakes.aliyun_query import FakeAliyunSmsWithQuery
from testkit.fakes.base import Fault
from testkit.outbox_crash import CRASH_SETTINGS, outcome, run_with_kills, worker_env
from testkit.sms import sms_config
from testkit.workflow import started

pytestmark = pytest.mark.slow  # worker processes started and killed

MEMBERS_PER_BRANCH = 50
KILLS = 4
CONCURRENCY = 2  # sends in flight per worker
BATCH = 12  # rows claimed at a time: far more than are ever in flight
KILL_WITHIN = 0.25  # a kill lands up to this long after a claim: sends done, not yet recorded


@pytest.fixture(params=["lookup", "no_lookup"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeAliyunSms]:
    server = (FakeAliyunSmsWithQuery() if request.param == "lookup" else FakeAliyunSms()).start()
    server.always = Fault(delay=0.06, proceed=True)  # a send takes a moment: kills land mid-send
    yield server
    server.stop()


def test_sigkilled_workers_lose_nothing(make_app: Callable[..., Flask], fake: FakeAliyunSms,
                                        tmp_path: Path) -> None:
    app = make_app(**sms_config(fake.url, None, "sms_aliyun", **CRASH_SETTINGS))
    with app.app_context():
        started(members_per_branch=MEMBERS_PER_BRANCH)
        db.session.remove()
        run = run_with_kills(worker_env(app, tmp_path / "evidence", CONCURRENCY), tmp_path,
                             random.Random(20170505), kills=KILLS, batch=BATCH,
                             kill_within=KILL_WITHIN)
        assert not run.errors, run.errors
        result = outcome(fake.requests, run.in_flight)
        accepted = {(int(r["out_id"]), r["biz_id"]) for r in fake.requests}
        recorded = {(r.id, r.provider_msg_id) for r in db.session.scalars(select(OutboxMessage))
                    if r.provider_msg_id is not None}  # None: found by lookup, no BizId there
    print(result)
    assert recorded <= accepted
    assert run.kills == KILLS and result.rows == 2 * MEMBERS_PER_BRANCH
    assert result.lost == 0, "a message was lost"
    assert result.never_reached == 0, "a row never reached the provider"
    # A row goes out again only if a killed worker held it, at most once per such kill.
    assert result.beyond_in_flight == []
    # Only calls under way at a kill go again: not the rest of the claimed batch.
    assert result.duplicates <= run.kills * CONCURRENCY, result
    assert result.bad_evidence == 0, "not exactly one sent entry per message"
    assert result.chain_ok
    if isinstance(fake, FakeAliyunSmsWithQuery):
        assert fake.queries > 0 or result.in_flight == 0  # leases taken over were looked up
    else:
        assert result.reconciled == 0  # nothing to look in: every re-claimed row was re-sent
