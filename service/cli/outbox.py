"""`flask outbox …`: run a sending worker, and show how the outbox stands."""

from __future__ import annotations

import os
import signal
import socket
from types import FrameType

import click
from flask.cli import AppGroup
from sqlalchemy import select

from service.extensions import db
from service.models import OutboxMessage
from service.models.outbox import DEAD, STATE_LABELS
from service.notify import outbox
from service.notify.dispatch import drain as drain_outbox

group = AppGroup("outbox", help="消息发送队列。")
DEAD_SHOWN = 20


@group.command("drain")
@click.option("--once", is_flag=True, help="发完当前到期的消息后退出（默认持续运行）")
@click.option("--worker-id", default=None, help="工作进程名（默认 主机名:进程号）")
@click.option("--batch", default=20, show_default=True, type=click.IntRange(1, 1000),
              help="每次领取的消息条数")
@click.option("--idle-sleep", default=1.0, show_default=True, type=float,
              help="没有待发消息时的等待秒数")
def drain(once: bool, worker_id: str | None, batch: int, idle_sleep: float) -> None:
    """Send due messages; any number of these may run at once."""
    stopping: list[bool] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.append(True)  # finish the message in hand, then leave

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    worker = worker_id or f"{socket.gethostname()}:{os.getpid()}"
    done = drain_outbox(worker, batch=batch, once=once, idle_sleep=idle_sleep,
                        should_stop=lambda: bool(stopping))
    click.echo(f"发送进程 {worker} 结束：已发送 {done['sent']} 条，转其他渠道 {done['fell_back']} 条，"
               f"待重试 {done['pending']} 条，发送失败 {done['dead']} 条。")


@group.command("status")
def status() -> None:
    """Show how many messages are in each state per channel, and the failed ones."""
    per_channel = outbox.counts()
    if not per_channel:
        click.echo("发送队列为空。")
        return
    for channel, counts in sorted(per_channel.items()):
        parts = "，".join(f"{STATE_LABELS[s]} {n}" for s, n in counts.items() if n)
        click.echo(f"{channel}：{parts}")
    dead = db.session.scalars(select(OutboxMessage).where(OutboxMessage.state == DEAD)
                              .order_by(OutboxMessage.id).limit(DEAD_SHOWN)).all()
    for row in dead:
        click.echo(f"  发送失败 #{row.id} 党员 {row.member_id} 经 {row.channel}："
                   f"{row.last_error or '未知原因'}（已尝试 {row.attempts} 次）")
