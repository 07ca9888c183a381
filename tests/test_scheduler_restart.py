"""The real `flask scheduler run`, SIGKILLed and restarted around send times on a file clock.

The scheduler process (``testkit.scheduler_entry``) runs every job every 0.3 s but reads the
time from a file the test rewrites, so "10:00 on a working day" comes when the test says.
Whatever the kills, each reminder step exists exactly once and none is queued in quiet
hours. The test waits for ticks by the process's log lines, never on timing.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from service.clock import to_local
from service.extensions import db
from service.models import CallTask, OutboxMessage, ReminderStep
from service.models.outbox import REMINDER
from testkit.clock import without_faketime
from tests.reminder_helpers import controlled_clock, started_at

pytestmark = pytest.mark.slow  # scheduler processes started and killed

ROOT = Path(__file__).resolve().parent.parent
WAIT_SECONDS = 90  # generous: only a hung process ever gets near it
TICK_LINE = "定时任务 member-reminders"


class SchedulerProcess:
    """One `flask scheduler run` at a time, with its log and the clock file it reads."""

    def __init__(self, app: Flask, tmp: Path) -> None:
        self.clock = tmp / "clock.txt"
        self.log = tmp / "scheduler.log"
        self.instance = tmp / "sched-instance"
        config = app.config
        self.env = {
            **without_faketime(os.environ),
            "FLASK_SQLALCHEMY_DATABASE_URI": config["SQLALCHEMY_DATABASE_URI"],
            "FLASK_DATA_KEY": config["DATA_KEY"], "FLASK_SECRET_KEY": config["SECRET_KEY"],
            "FLASK_EVIDENCE_DIR": str(tmp / "evidence"),
            "PYTHONPATH": str(ROOT),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def set_time(self, at: str) -> None:
        tmp = self.clock.with_suffix(".new")
        tmp.write_text(at, encoding="utf-8")
        tmp.replace(self.clock)  # atomic: the process never reads half a time

    def start(self) -> None:
        assert self.proc is None
        command = [sys.executable, "-m", "testkit.scheduler_entry", "--clock-file",
                   str(self.clock), "--interval", "0.3", "--instance", str(self.instance)]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def ticks(self) -> int:
        return self.log.read_text(encoding="utf-8", errors="replace").count(TICK_LINE)

    def wait_ticks(self, n: int) -> None:
        """Wait until the running process has finished ``n`` more member-reminder ticks."""
        target = self.ticks() + n
        self._wait(lambda: self.ticks() >= target, f"{n} more ticks")

    def wait_steps(self, n: int) -> None:
        self._wait(lambda: count(ReminderStep) >= n, f"{n} reminder steps")

    def _wait(self, done: Any, what: str) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not done():
            if self.proc is not None and self.proc.poll() is not None:
                pytest.fail(f"scheduler exited ({self.proc.returncode}):\n{self.tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"scheduler never reached {what}:\n{self.tail()}")
            time.sleep(0.05)

    def tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]


def count(model: Any, *where: Any) -> int:
    with db.engine.connect() as conn:  # a fresh, short read: never hold a lock on SQLite
        return conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


@pytest.fixture
def scheduler(app: Flask, tmp_path: Path) -> Iterator[SchedulerProcess]:
    proc = SchedulerProcess(app, tmp_path)
    yield proc
    if proc.proc is not None:
        proc.kill()


def test_killed_and_restarted_scheduler_sends_each_reminder_once(
    app: Flask, scheduler: SchedulerProcess,
) -> None:
    rng = random.Random(8)
    with app.app_context():
        with controlled_clock():  # cards issued Monday 2026-11-30 09:00
            _, members = started_at(members_per_branch=3)
        n = len(members)
        db.session.remove()

        scheduler.set_time("2026-12-01 09:40")  # first reminder day, before the send hour
        scheduler.start()
        scheduler.wait_ticks(2)
        assert count(ReminderStep) == 0

        scheduler.set_time("2026-12-01 10:00")  # send time: kill as the steps land
        scheduler.wait_steps(n)
        scheduler.kill()
        scheduler.start()
        scheduler.wait_ticks(3)
        assert count(ReminderStep) == n

        scheduler.set_time("2026-12-02 10:00")  # second reminder: killed at a random moment
        time.sleep(rng.uniform(0.0, 1.0))
        scheduler.kill()
        scheduler.start()
        scheduler.wait_steps(2 * n)
        scheduler.wait_ticks(2)
        assert count(ReminderStep) == 2 * n

        # Down over the third step's send time (12-04 10:00), restarted in quiet hours: nothing
        # until the next send hour, then the step once (Saturday and Sunday are not working days).
        scheduler.kill()
        scheduler.set_time("2026-12-04 21:30")
        scheduler.start()
        scheduler.wait_ticks(2)
        scheduler.set_time("2026-12-05 10:30")
        scheduler.wait_ticks(2)
        assert count(ReminderStep) == 2 * n
        scheduler.set_time("2026-12-07 10:30")
        scheduler.wait_steps(3 * n)
        scheduler.kill()
        scheduler.start()
        scheduler.wait_ticks(3)

        assert count(ReminderStep) == 3 * n
        assert count(CallTask) == n
        assert count(OutboxMessage, OutboxMessage.kind == REMINDER) == 2 * n
        with db.engine.connect() as conn:
            steps = conn.execute(select(ReminderStep.campaign_member_id, ReminderStep.step,
                                        ReminderStep.taken_at)).all()
            queued = conn.execute(select(OutboxMessage.created_at)
                                  .where(OutboxMessage.kind == REMINDER)).scalars().all()
    per_step = Counter((cm, step) for cm, step, _ in steps)
    assert set(per_step.values()) == {1} and len(per_step) == 3 * n
    assert all(8 <= to_local(t).hour < 21 for t in [s.taken_at for s in steps] + queued)
