"""`flask imports …`: the worker that runs web roster imports queued for it."""

from __future__ import annotations

import logging
import signal
from types import FrameType

import click
from flask import current_app
from flask.cli import AppGroup

from service.admin import import_worker

group = AppGroup("imports", help="网页导入任务。")


@group.command("work")
@click.option("--once", is_flag=True, help="处理完当前排队的导入后退出（默认持续运行）")
@click.option("--worker-id", default=None, help="导入进程名（默认 主机名:进程号）")
@click.option("--idle-sleep", default=2.0, show_default=True, type=float,
              help="没有排队的导入时的等待秒数")
def work(once: bool, worker_id: str | None, idle_sleep: float) -> None:
    """Claim and run queued web imports; any number of these may run, on any hosts."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stopping: list[bool] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.append(True)  # finish the import in hand (one transaction), then leave

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    worker = worker_id or import_worker.worker_name()
    if app.config.get("IMPORT_RUNNER") != import_worker.WORKER:
        click.echo("注意：IMPORT_RUNNER 不是 worker，网页上传的导入仍由网页进程自己处理；"
                   "本进程只处理排队中或处理进程已中断的导入。")
    click.echo(f"导入进程 {worker} 已启动。")
    ran = import_worker.work(app, worker, once=once, idle_sleep=idle_sleep,
                             should_stop=lambda: bool(stopping))
    click.echo(f"导入进程 {worker} 结束：处理导入任务 {ran} 个。")
