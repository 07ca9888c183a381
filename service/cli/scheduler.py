"""`flask scheduler …`: run the reminder scheduler process, or run its jobs once at a time."""

from __future__ import annotations

import logging
import os
import signal
import socket
from collections import Counter
from types import FrameType

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from service import scheduler
from service.clock import now_utc, to_local
from service.scheduler_leader import Leadership

group = AppGroup("scheduler", help="定时提醒调度。")

LABELS = {
    "wechat": "微信提醒", "sms": "短信提醒", "call": "电话任务", "secretary": "书记通知",
    "digests": "截止汇总", "corrections": "修改申请催办", "calls_cancelled": "取消电话任务",
}


@group.command("run")
@click.option("--worker-id", default=None, help="调度进程名（默认 主机名:进程号）")
def run(worker_id: str | None) -> None:
    """Run the scheduler until Ctrl-C or SIGTERM; extra processes stand by to take over."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    leader = Leadership(app, worker_id or f"{socket.gethostname()}:{os.getpid()}")

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt  # leave start() or the standby wait the same way Ctrl-C does

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"提醒调度进程已启动（时区 {app.config.get('TIMEZONE')}，调度权租约 "
               f"{leader.seconds:g} 秒）。按 Ctrl-C 结束。")
    scheduler.follow(leader)
    try:
        while leader.wait():
            if not lead(app, leader):
                break
            logging.getLogger(__name__).warning("已停止运行定时任务，转为待命")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        leader.stop()
        scheduler.follow(None)
    click.echo("提醒调度进程已结束。")


def lead(app: Flask, leader: Leadership) -> bool:
    """Run the jobs while the lease holds; return True if it was lost (stand by again)."""
    removed = scheduler.prune_stale_jobs()
    sched = scheduler.build_scheduler(app)
    leader.keep(on_lost=lambda: sched.shutdown(wait=False))
    click.echo(f"本进程负责运行定时任务：{'、'.join(j.id for j in scheduler.JOBS)}"
               + (f"（已删除过期任务 {removed} 个）" if removed else "") + "。")
    try:
        sched.start()
    finally:
        if sched.running:
            sched.shutdown(wait=True)  # let a running job finish its transaction
    return leader.lost.is_set()


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
