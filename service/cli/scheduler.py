"""`flask scheduler …`: run the reminder scheduler process, or run its jobs once at a time."""

from __future__ import annotations

import logging
import signal
from collections import Counter
from types import FrameType

import click
from flask import current_app
from flask.cli import AppGroup

from service import scheduler
from service.clock import now_utc, to_local

group = AppGroup("scheduler", help="定时提醒调度。")

LABELS = {
    "wechat": "微信提醒", "sms": "短信提醒", "call": "电话任务", "secretary": "书记通知",
    "digests": "截止汇总", "corrections": "修改申请催办", "calls_cancelled": "取消电话任务",
}


@group.command("run")
def run() -> None:
    """Run the scheduler until Ctrl-C or SIGTERM (one such process per deployment)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    removed = scheduler.prune_stale_jobs()
    sched = scheduler.build_scheduler(app)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt  # leave start() the same way Ctrl-C does

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"提醒调度进程已启动（时区 {app.config.get('TIMEZONE')}，任务 "
               f"{'、'.join(j.id for j in scheduler.JOBS)}"
               + (f"，已删除过期任务 {removed} 个" if removed else "") + "）。按 Ctrl-C 结束。")
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if sched.running:
            sched.shutdown(wait=True)  # let a running job finish its transaction
    click.echo("提醒调度进程已结束。")


@group.command("tick")
def tick() -> None:
    """Run every job once now, each in its own transaction (catch up without the scheduler)."""
    now = now_utc()
    done = scheduler.run_all(now)
    click.echo(f"提醒任务（{to_local(now):%Y-%m-%d %H:%M}）：{describe(done)}")


def describe(done: Counter[str]) -> str:
    """Return a Chinese summary of what the jobs did."""
    parts = [f"{LABELS.get(k, k)} {v}" for k, v in sorted(done.items()) if v]
    return "，".join(parts) if parts else "无到期事项"
