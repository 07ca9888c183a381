"""Workers SIGKILLed at random moments lose nothing and resend only what they held in flight.

Real `flask outbox drain` processes send a campaign's cards through the Aliyun fake while the
test kills one with SIGKILL every few hundred milliseconds and starts a new one in its place.
Before each restart it notes which rows the dead worker held (its leases): only those may reach
the provider twice. At the end every row is sent, every card reached the provider, and the
ledger holds exactly one "sent" entry per row.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from service.campaign import ledger
from service.campaign.verification import verify_chain
from service.extensions import db
from service.models import EvidenceEntry, OutboxMessage
from service.models.outbox import SENDING, SENT
from tests.fakes.aliyun import FakeAliyunSms
from tests.fakes.base import Fault
from tests.sms_helpers import sms_config
from tests.workflow_helpers import started

MEMBERS_PER_BRANCH = 100
WORKERS = 3
KILLS = 6
DEADLINE = 90.0  # seconds; the run normally takes a few


@pytest.fixture
def fake() -> Iterator[FakeAliyunSms]:
    server = FakeAliyunSms().start()
    server.always = Fault(delay=0.01, proceed=True)  # a send takes a moment: kills land mid-send
    yield server
    server.stop()


def _env(app: Flask, tmp_path: Path) -> dict[str, str]:
    keys = ["SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "DATA_KEY", "NOTIFY_CHANNELS",
            "NOTIFY_HTTP_TIMEOUT", "NOTIFY_LEASE_SECONDS", "NOTIFY_BACKOFF_SECONDS"]
    keys += [k for k in app.config if k.startswith("ALIYUN_")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update({f"FLASK_{k}": str(app.config[k]) if isinstance(app.config[k], str)
                else json.dumps(app.config[k]) for k in keys})
    env["FLASK_EVIDENCE_DIR"] = str(tmp_path / "evidence")
    return env


def _spawn(env: dict[str, str], worker_id: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    with open(tmp_path / f"{worker_id}.err", "wb") as err:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "service", "outbox", "drain",
             "--worker-id", worker_id, "--batch", "4", "--idle-sleep", "0.05"],
            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=err)


def _held_by(worker_id: str) -> set[int]:
    db.session.rollback()
    return set(db.session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.state == SENDING, OutboxMessage.claimed_by.startswith(f"{worker_id}:"))))


def _unsent() -> int:
    db.session.rollback()
    return len(db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.state != SENT))
               .all())


def test_sigkilled_workers_lose_nothing(make_app: Callable[..., Flask], fake: FakeAliyunSms,
                                        tmp_path: Path) -> None:
    app = make_app(**sms_config(fake.url, None, "sms_aliyun", NOTIFY_LEASE_SECONDS=1.5,
                                NOTIFY_BACKOFF_SECONDS=0.2))
    rng = random.Random(20170505)
    with app.app_context():
        started(members_per_branch=MEMBERS_PER_BRANCH)
        total = len(db.session.scalars(select(OutboxMessage.id)).all())
        db.session.remove()
        env = _env(app, tmp_path)
        procs: dict[str, subprocess.Popen[bytes]] = {
            f"w{i}-0": _spawn(env, f"w{i}-0", tmp_path) for i in range(WORKERS)}
        in_flight: Counter[int] = Counter()
        kills, began = 0, time.monotonic()
        try:
            while _unsent() and time.monotonic() - began < DEADLINE:
                time.sleep(rng.uniform(0.1, 0.5))
                if kills < KILLS:
                    victim = rng.choice(sorted(procs))
                    procs[victim].send_signal(signal.SIGKILL)
                    procs[victim].wait()
                    in_flight.update(_held_by(victim))
                    kills += 1
                    slot, generation = victim.split("-")
                    successor = f"{slot}-{int(generation) + 1}"
                    procs[successor] = _spawn(env, successor, tmp_path)
                    del procs[victim]
        finally:
            for proc in procs.values():
                proc.send_signal(signal.SIGTERM)
            for proc in procs.values():
                proc.wait(timeout=30)
        errors = {w: (tmp_path / f"{w}.err").read_text() for w in procs}
        assert all(proc.returncode == 0 for proc in procs.values()), errors
        _check_outcome(total, fake.requests, in_flight, kills)


def _check_outcome(total: int, sent: list[dict[str, Any]], in_flight: Counter[int],
                   kills: int) -> None:
    db.session.rollback()
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert kills == KILLS and len(rows) == total == 2 * MEMBERS_PER_BRANCH
    assert all(r.state == SENT for r in rows), "a message was lost"
    per_row = Counter(int(r["out_id"]) for r in sent)
    assert set(per_row) == {r.id for r in rows}, "a row never reached the provider"
    for row_id, times in per_row.items():
        # A row goes out again only if a killed worker held it, at most once per such kill.
        assert times <= 1 + in_flight[row_id], (row_id, times, in_flight[row_id])
    biz_ids = {(int(r["out_id"]), r["biz_id"]) for r in sent}
    assert all((r.id, r.provider_msg_id) in biz_ids for r in rows)
    entries = db.session.scalars(
        select(EvidenceEntry).where(EvidenceEntry.kind == ledger.CARD_SENT)).all()
    assert sorted(json.loads(e.body)["data"]["outbox"] for e in entries) == sorted(
        r.id for r in rows), "not exactly one sent entry per message"
    assert verify_chain().ok
    print(f"kills={kills} in-flight rows={len(in_flight)} "
          f"duplicates={sum(per_row.values()) - len(per_row)}")
