"""`flask keys rotate-data`: move every encrypted value and blind index to a new data key.

A new key itself comes from `python -m service.keys` (it needs no app, and the app refuses
to start without keys in production).
"""

from __future__ import annotations

from functools import partial

import click
from flask import current_app
from flask.cli import AppGroup

from service import key_rotation
from service.keys import KEY_COMMAND
from service.unit_of_work import run_unit

group = AppGroup("keys", help=f"密钥：数据密钥轮换（生成新密钥请用 {KEY_COMMAND}）。")


@group.command("rotate-data")
@click.option("--batch", "size", default=1000, show_default=True, type=click.IntRange(1, 100_000),
              help="每个事务处理的行数")
@click.option("--check", is_flag=True, help="只统计仍使用旧密钥的数据，不写入")
def rotate_data(size: int, check: bool) -> None:
    """Re-encrypt every sealed value and recompute every blind index under FLASK_DATA_KEY.

    Set FLASK_DATA_KEY to the new key and FLASK_DATA_KEY_OLD to the old one, restart every
    process with both, then run this. It commits every --batch rows and may be interrupted
    and run again. It ends by saying whether FLASK_DATA_KEY_OLD can be removed.
    """
    old, new = current_app.config.get("DATA_KEY_OLD"), current_app.config["DATA_KEY"]
    if not old:
        raise click.ClickException(
            "未设置 FLASK_DATA_KEY_OLD：请把旧的数据密钥设为 FLASK_DATA_KEY_OLD、新密钥设为 "
            f"FLASK_DATA_KEY（新密钥用 {KEY_COMMAND} 生成），所有进程按此重启后再运行本命令")
    if old == new:
        raise click.ClickException("FLASK_DATA_KEY_OLD 与 FLASK_DATA_KEY 相同：请把新密钥设为 "
                                   "FLASK_DATA_KEY")
    if not check:
        click.echo(f"用新密钥重新加密，每批 {size} 行（可随时中断，再次运行会接着处理）：")
        _pass(size, write=True)
        click.echo("复查：")
    stale, unreadable = _pass(size, write=False)
    if unreadable:
        raise click.ClickException(
            f"共 {unreadable} 项数据用新旧两个密钥都无法解密或校验（见上），请核查后再删除旧密钥")
    if stale:
        raise click.ClickException(
            f"仍有 {stale} 行数据使用旧密钥。" + ("请运行 flask keys rotate-data。" if check else
            "可能仍有进程只配置了旧密钥：请确认所有进程都已按新密钥重启，再运行本命令。"))
    click.echo("全部数据已改用新密钥 FLASK_DATA_KEY。现在可以从所有主机的环境文件中删除 "
               "FLASK_DATA_KEY_OLD 并重启各进程；旧密钥请按保密要求离线封存或销毁。")


def _pass(size: int, *, write: bool) -> tuple[int, int]:
    """Walk every step once; return (rows still under the old key, rows neither key opens)."""
    stale = unreadable = 0
    for step in key_rotation.steps():
        total, after, seen, found, bad = step.total(), 0, 0, 0, []
        while True:
            try:
                # One transaction per batch: an interruption loses one batch at most.
                batch = run_unit(partial(step.run, after, size, write))
            except key_rotation.RotationConflict as exc:
                raise click.ClickException(
                    f"{step.label} id={exc.row_id} 的新索引与另一行相同：轮换期间可能重复录入了"
                    "同一身份证号。请先在“回头看”中处理重复记录，再运行本命令") from exc
            if batch.last_id is None:
                break
            after, seen = batch.last_id, seen + batch.scanned
            found, bad = found + batch.stale, bad + batch.unreadable
            if write and total > size:
                click.echo(f"  {step.label}：已检查 {seen}/{total} 行，重新加密 {found} 行")
        if bad:
            shown = "、".join(step.show(i) for i in bad[:20]) + ("…" if len(bad) > 20 else "")
            click.echo(f"  {step.label}：{len(bad)} {step.problem}（id {shown}）", err=True)
        done = "本次重新加密" if write else "仍用旧密钥"
        click.echo(f"  {step.label}：共 {seen} 行，{done} {found} 行")
        stale, unreadable = stale + found, unreadable + len(bad)
    return stale, unreadable
