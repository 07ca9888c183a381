"""Scheduler leadership: only the process holding the "scheduler" lease runs jobs.

Any number of `flask scheduler run` processes may start; the first takes the lease and runs
the jobs, renewing it from a thread every quarter of ``SCHEDULER_LEASE_SECONDS``. The others
stand by and ask as often; when the holder dies its lease lapses and one of them takes over
within the lease time. A holder that fails to renew in time stops its scheduler before the
lease can pass to another process, and ``run_job`` refuses to start a job without the lease.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask

from service import leases

log = logging.getLogger(__name__)
LEASE_NAME = "scheduler"
DEFAULT_LEASE_SECONDS = 30


class Leadership:
    """This process's claim to the scheduler lease."""

    def __init__(self, app: Flask, holder: str, seconds: float | None = None) -> None:
        self.app, self.holder = app, holder
        self.seconds = float(seconds or app.config.get("SCHEDULER_LEASE_SECONDS")
                             or DEFAULT_LEASE_SECONDS)
        self.every = max(0.2, self.seconds / 4)
        self.until: datetime | None = None  # end of the lease as last taken or renewed
        self.stopping = threading.Event()
        self.lost = threading.Event()
        self._renewer: threading.Thread | None = None

    def _try(self) -> bool:
        now = leases.wall_utc()
        with self.app.app_context():
            try:
                held = leases.acquire(LEASE_NAME, self.holder, self.seconds, now)
            except Exception:  # the database is away: we hold nothing we cannot prove
                log.exception("调度权续期失败（数据库不可用）")
                held = False
        if held:
            self.until = now + timedelta(seconds=self.seconds)
        return held

    def holds(self) -> bool:
        """Whether the lease is ours and not yet past the end we last secured."""
        return (not self.lost.is_set() and self.until is not None
                and leases.wall_utc() < self.until)

    def wait(self) -> bool:
        """Block until this process holds the lease (True) or ``stop`` was called (False)."""
        announced = False
        while not self.stopping.is_set():
            if self._try():
                log.info("本进程（%s）已取得调度权，开始运行定时任务", self.holder)
                return True
            if not announced:
                with self.app.app_context():
                    other = leases.holder_of(LEASE_NAME)
                log.info("另一个调度进程（%s）正在运行，本进程（%s）待命：它停止后 %d 秒内接管",
                         other or "未知", self.holder, round(self.seconds + self.every))
                announced = True
            self.stopping.wait(self.every)
        return False

    def keep(self, on_lost: Callable[[], None]) -> None:
        """Renew the lease from a thread; call ``on_lost`` once if it cannot be kept."""
        self.lost.clear()

        def renew() -> None:
            while not self.stopping.wait(self.every):
                if self._try():
                    continue
                # Stop before the lease can lapse into another process's hands.
                if self.until is None or leases.wall_utc() + timedelta(
                        seconds=self.every) >= self.until:
                    log.error("本进程（%s）失去调度权，停止运行定时任务", self.holder)
                    self.lost.set()
                    on_lost()
                    return

        self._renewer = threading.Thread(target=renew, name="scheduler-lease", daemon=True)
        self._renewer.start()

    def stop(self) -> None:
        """Stop renewing and give the lease up, so a standby takes over at once."""
        self.stopping.set()
        if self._renewer is not None:
            self._renewer.join(timeout=self.seconds)
        if self.until is not None and not self.lost.is_set():
            with self.app.app_context():
                try:
                    leases.release(LEASE_NAME, self.holder)
                except Exception:  # it lapses on its own
                    log.exception("释放调度权失败，备用进程将在租约到期后接管")
        self.until = None
