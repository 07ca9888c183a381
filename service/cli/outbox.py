"""`flask outbox …`: run a sending worker, and show how the outbox stands."""

from __future__ import annotations

import os
import signal
import socket
from types import FrameType

import click
from flask.cli import AppGroup
from sqlalchemy import select

from service.clock import format_local
from service.extensions import db
from service.labels import MESSAGE_KIND_LABELS, PROVIDER_LABELS
from service.models import Member, OutboxMessage
from service.models.outbox import DEAD, STATE_LABELS
from service.notify import outbox_admin
from service.notify.dispatch import DEFAULT_BATCH
from service.notify.dispatch import drain as drain_outbox
from service.records.phones import mask_phone
from service.unit_of_work import run_unit

group = AppGroup("outbox", help="消息发送队列。")
DEAD_SHOWN = 20


@group.command("drain")
@click.option("--once", is_flag=True, help="发完当前到期的消息后退出（默认持续运行）")
@click.option("--worker-id", default=None, help="工作进程名（默认 主机名:进程号）")
@click.option("--batch", default=DEFAULT_BATCH, show_default=True, type=click.IntRange(1, 1000),
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
    click.echo(f"发送进程 {worker} 结束：已发送 {done['sent']} 条，"
               f"转其他渠道 {done['fell_back']} 条，待重试 {done['pending']} 条，"
               f"发送失败 {done['dead']} 条。")


@group.command("status")
@click.option("--limit", default=DEAD_SHOWN, show_default=True, type=click.IntRange(1, 10000),
              help="最多列出的发送失败消息条数")
def status(limit: int) -> None:
    """Show how many messages are in each state per channel, and the dead-letter list."""
    per_channel = outbox_admin.counts()
    if not per_channel:
        click.echo("发送队列为空。")
        return
    for channel, counts in sorted(per_channel.items()):
        parts = "，".join(f"{STATE_LABELS[s]} {counts[s]}" for s in STATE_LABELS if counts[s])
        click.echo(f"{channel_label(channel)}：{parts}")
    dead = outbox_admin.dead_letters(limit)
    if not dead:
        return
    total = sum(c[DEAD] for c in per_channel.values())
    click.echo(f"发送失败、需要处理的消息 {total} 条"
               + (f"（列出前 {len(dead)} 条）" if total > len(dead) else "") + "：")
    members = {m.id: m for m in db.session.scalars(
        select(Member).where(Member.id.in_({r.member_id for r in dead if r.member_id})))}
    for row in dead:
        member = members.get(row.member_id or 0)
        who = (f"{member.name}（手机 {mask_phone(member.mobile) if member.mobile else '未登记'}）"
               if member else "管理员")
        click.echo(f"  #{row.id} {MESSAGE_KIND_LABELS.get(row.kind, row.kind)} 发给 {who}，"
                   f"经{channel_label(row.channel)}，已尝试 {row.attempts} 次，"
                   f"最后于 {format_local(row.updated_at)}：{row.last_error or '原因未记录'}")
    click.echo("排除原因后，可用 flask outbox retry-dead [--id 编号] 重新发送。")


@group.command("retry-dead")
@click.option("--id", "row_ids", multiple=True, type=int,
              help="只重新发送这些编号的消息（可重复；默认全部发送失败的消息）")
@click.option("--actor", default="cli", show_default=True, help="记入审计日志的操作人")
def retry_dead(row_ids: tuple[int, ...], actor: str) -> None:
    """Queue dead messages again once the cause is fixed (audited; running it twice is safe)."""
    requeued = run_unit(lambda: outbox_admin.retry_dead(list(row_ids) or None, actor=actor))
    for row_id in sorted(set(row_ids) - set(requeued)):
        row = db.session.get(OutboxMessage, row_id)
        click.echo(f"  #{row_id} " + ("不存在" if row is None else
                                     f"当前为“{STATE_LABELS[row.state]}”，无需重新发送"))
    if requeued:
        click.echo(f"已将 {len(requeued)} 条发送失败的消息重新排队："
                   + "、".join(f"#{i}" for i in requeued) + "。发送进程会尽快发出。")
    else:
        click.echo("没有需要重新发送的消息。")


def channel_label(name: str) -> str:
    """Return a channel's name as admins read it."""
    return PROVIDER_LABELS.get(name, name)
