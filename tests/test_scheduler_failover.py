"""Two real `flask scheduler run` processes on one database: one runs the jobs, one stands by.

The standby runs nothing while the first holds the lease; SIGKILLed, the first stops renewing
and the standby takes over within the lease time. Every job run is logged with the time it
finished, so the test checks that no job ran in both processes and no reminder went out twice.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from service.extensions import db
from service.models import ReminderStep
from testkit.clock import needs_real_timed_waits
from tests.reminder_helpers import controlled_clock, started_at
from tests.test_scheduler_restart import SchedulerProcess, count

# Scheduler processes started and killed; their APScheduler sleeps in timed lock waits.
pytestmark = [pytest.mark.slow, needs_real_timed_waits]

LEASE_SECONDS = 3
JOB_LINE = re.compile(r"^(\S+ \S+) INFO 定时任务 (\S+) 完成", re.MULTILINE)


class Scheduler(SchedulerProcess):
    """A named scheduler process on a shared clock file and a short lease."""

    def __init__(self, app: Flask, tmp: Path, name: str, clock: Path) -> None:
        tmp.mkdir()
        super().__init__(app, tmp)
        self.name, self.clock = name, clock
        self.env["FLASK_SCHEDULER_LEASE_SECONDS"] = str(LEASE_SECONDS)

    def start(self) -> None:
        assert self.proc is None
        command = [sys.executable, "-m", "testkit.scheduler_entry", "--clock-file",
                   str(self.clock), "--interval", "0.3", "--instance", str(self.instance),
                   "--worker-id", self.name]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def runs(self) -> list[datetime]:
        """When each job run of this process finished, from its log."""
        return [datetime.strptime(at, "%Y-%m-%d %H:%M:%S,%f")
                for at, _ in JOB_LINE.findall(self.text())]

    def wait_for(self, what: str, timeout: float) -> float:
        """Wait until ``what`` is in the log; return the seconds it took."""
        began = time.monotonic()
        self._wait(lambda: what in self.text() or time.monotonic() - began > timeout, what)
        if what not in self.text():
            pytest.fail(f"{self.name} never logged {what!r} in {timeout}s:\n{self.tail()}")
        return time.monotonic() - began


@pytest.fixture
def pair(app: Flask, tmp_path: Path) -> Iterator[tuple[Scheduler, Scheduler]]:
    clock = tmp_path / "clock.txt"
    first = Scheduler(app, tmp_path / "a", "sched-a", clock)
    second = Scheduler(app, tmp_path / "b", "sched-b", clock)
    yield first, second
    for proc in (first, second):
        if proc.proc is not None:
            proc.kill()


def test_standby_scheduler_takes_over_when_the_active_one_dies(
    app: Flask, pair: tuple[Scheduler, Scheduler],
) -> None:
    first, second = pair
    with app.app_context():
        with controlled_clock():  # cards issued Monday 2026-11-30 09:00
            _, members = started_at(members_per_branch=3)
        n = len(members)
        db.session.remove()

        first.set_time("2026-12-01 10:00")  # first reminder day, at the send hour
        first.start()
        first.wait_for("已取得调度权", 60)
        second.start()
        second.wait_for("待命", 60)
        first.wait_steps(n)
        first.wait_ticks(5)  # both alive for a while: the standby runs nothing
        assert second.runs() == []
        assert "sched-a" in second.text()  # it names the process it waits for

        first.kill()
        killed = datetime.now()
        took = second.wait_for("已取得调度权", 60)
        assert took <= LEASE_SECONDS + LEASE_SECONDS / 4 + 3
        second.wait_ticks(3)
        first.set_time("2026-12-02 10:00")  # the second reminder comes from the new holder
        second.wait_steps(2 * n)
        second.wait_ticks(3)

        with db.engine.connect() as conn:
            steps = conn.execute(select(ReminderStep.campaign_member_id,
                                        ReminderStep.step)).all()
        assert count(ReminderStep) == 2 * n
    assert set(Counter(steps).values()) == {1}
    # No job ran in both: the first's runs all ended before the kill, the second's after it.
    assert first.runs() and max(first.runs()) <= killed
    assert second.runs() and min(second.runs()) > killed
