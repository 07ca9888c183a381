"""Run the real `flask scheduler run` on a file clock, every job on a short interval.

    python -m testkit.scheduler_entry --clock-file CLOCK [--interval 0.3] [--instance DIR]
                                      [--worker-id NAME]

The scheduler restart test starts this as a child process and kills it at chosen moments.
The app comes from ``create_app()`` with its settings from the FLASK_* environment, as in
production; only two things differ, both set up here before the command runs: ``now`` is the
Asia/Shanghai wall time written in CLOCK (read at every call, so the test moves it by
rewriting the file), and every job of ``service.scheduler.JOBS`` fires every ``--interval``
seconds instead of on its cron, so "10:00 on a working day" comes whenever the test says.
"""

from __future__ import annotations

import argparse

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask
from flask.cli import FlaskGroup

from service import create_app, scheduler
from testkit import clock


def jobs_on_an_interval(seconds: float) -> None:
    """Make ``service.scheduler.build_scheduler`` fire every job every ``seconds``."""
    build = scheduler.build_scheduler

    def build_on_interval(app: Flask) -> BaseScheduler:
        sched = build(app)
        for job in scheduler.JOBS:  # not started yet: this changes the pending jobs
            sched.reschedule_job(job.id, trigger="interval", seconds=seconds)
        return sched

    scheduler.build_scheduler = build_on_interval  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clock-file", required=True, help="file holding e.g. 2026-12-01 09:00")
    parser.add_argument("--interval", type=float, default=0.3, help="seconds between job runs")
    parser.add_argument("--instance", default=None, help="the app's instance folder")
    parser.add_argument("--worker-id", default=None, help="the process's name in the lease")
    args = parser.parse_args(argv)
    clock.install(clock.from_file(args.clock_file))
    jobs_on_an_interval(args.interval)
    cli = FlaskGroup(create_app=lambda: create_app(None, args.instance), load_dotenv=False)
    extra = ["--worker-id", args.worker_id] if args.worker_id else []
    cli.main(args=["scheduler", "run", *extra], prog_name="flask")


if __name__ == "__main__":
    main()
