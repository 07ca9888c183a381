"""`flask qr …`: binding QR codes: a branch's poster (A4 PDF) and a member's own QR (PNG)."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import BinaryIO

import click
from flask import current_app
from flask.cli import AppGroup

from service import audit
from service.errors import ServiceError
from service.extensions import db
from service.forms.poster import poster_pdf, qr_png
from service.identity.binding_qr import member_payload, poster_payload
from service.models import Member
from service.roster.orgs import find_org
from service.unit_of_work import run_unit

group = AppGroup("qr", help="党员身份绑定二维码。")
_output = click.option("-o", "--output", required=True,
                       type=click.Path(dir_okay=False, writable=True, path_type=Path),
                       help="写入的文件")


@group.command("poster")
@click.option("--org", "org_name", required=True, help="党支部（党组织）全称")
@_output
def poster(org_name: str, output: Path) -> None:
    """Print a branch's binding poster (A4 PDF) with its permanent QR code."""
    _suffix(output, ".pdf")
    try:
        org = find_org(org_name)
        payload, wechat = poster_payload(org)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    account = current_app.config["WECHAT_OA_NAME"]
    _write(output, lambda out: poster_pdf(org.name, payload, out, account=account,
                                          font=current_app.config.get("PDF_FONT")))
    _audit("export.binding_poster", "org", org.id, output, wechat)
    click.echo(f"已生成“{org.name}”的党员身份绑定海报 {output}")
    click.echo(_describe(wechat, payload))


@group.command("member")
@click.option("--member", "member_id", required=True, type=int, help="党员编号")
@_output
def member(member_id: int, output: Path) -> None:
    """Write a member's own binding QR code (PNG; a WeChat QR is valid for 30 days)."""
    _suffix(output, ".png")
    found = db.session.get(Member, member_id)
    if found is None:
        raise click.ClickException(f"党员编号 {member_id} 不存在")
    try:
        payload, wechat = member_payload(found)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    _write(output, lambda out: qr_png(payload, out))
    _audit("export.binding_qr", "member", found.id, output, wechat)
    click.echo(f"已生成党员 {found.name} 的专属绑定二维码 {output}")
    click.echo(_describe(wechat, payload))


def _describe(wechat: bool, payload: str) -> str:
    if wechat:
        return "二维码为微信带参数二维码，扫码关注后公众号会发来绑定链接。"
    return f"未配置微信公众号，二维码指向绑定说明页：{payload}"


def _suffix(output: Path, suffix: str) -> None:
    if output.suffix.lower() != suffix:
        raise click.ClickException(f"输出文件“{output.name}”应以 {suffix} 结尾")


def _write(output: Path, render: Callable[[BinaryIO], object]) -> None:
    part = output.with_name(output.name + ".part")
    try:
        with open(part, "wb") as out:
            render(out)
        os.replace(part, output)  # a half-written file never carries the final name
    except ServiceError as exc:
        part.unlink(missing_ok=True)
        raise click.ClickException(exc.message) from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def _audit(action: str, target_type: str, target_id: int, output: Path, wechat: bool) -> None:
    run_unit(partial(audit.record, action, actor="cli", target_type=target_type,
                     target_id=target_id, file=output.name, wechat=wechat))
