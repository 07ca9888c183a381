"""`flask forms …`: print the 附件1/附件2 collection forms as PDF files, audited."""

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
from service.clock import today_local
from service.errors import ServiceError
from service.models import Org
from service.records.idcard import mask_id, normalize_id, upgrade_15
from service.roster import forms
from service.roster.members import find_by_id_number
from service.roster.orgs import find_org
from service.unit_of_work import run_unit

group = AppGroup("forms", help="打印信息采集表（PDF）。")
_output = click.option("-o", "--output", required=True,
                       type=click.Path(dir_okay=False, writable=True, path_type=Path),
                       help="写入的 PDF 文件")


@group.command(
    "member", help="打印一名党员的《党员基本信息采集表》（附件2）PDF。")
@click.option("--id-number", required=True, help="党员的公民身份证号")
@_output
def member(id_number: str, output: Path) -> None:
    """Print one member's 党员基本信息采集表 (附件2)."""
    id18 = normalize_id(id_number)
    if len(id18) == 15 and id18.isdigit():
        id18 = upgrade_15(id18)
    found = find_by_id_number(id18)
    if found is None:
        raise click.ClickException(f"未找到公民身份证号为 {mask_id(id18)} 的党员")
    pages = _export(output, lambda out: forms.member_pdf(found, out, font=_font()),
                    target_type="member", target_id=found.id, form="附件2")
    click.echo(f"已生成《党员基本信息采集表》{output}（{pages} 页）")


@group.command(
    "branch", help="打印一个党支部全体党员的《党员基本信息采集表》PDF，每人一页。")
@click.option("--org", "org_name", required=True, help="党支部全称")
@_output
def branch(org_name: str, output: Path) -> None:
    """Print the 党员基本信息采集表 of every member of a branch, one page each, by name."""
    org = _org(org_name)
    pages = _export(output, lambda out: forms.branch_pdf(org, out, font=_font()),
                    target_type="org", target_id=org.id, form="附件2")
    click.echo(f"已生成“{org.name}”的《党员基本信息采集表》{output}（{pages} 人，{pages} 页）")


@group.command(
    "org", help="打印《党组织和所在单位基本信息采集表》（附件1）PDF，需要时含附页。")
@click.option("--org", "org_name", required=True, help="党组织全称")
@_output
def org(org_name: str, output: Path) -> None:
    """Print an org's 党组织和所在单位基本信息采集表 (附件1), with the 附页 if needed."""
    found = _org(org_name)
    pages = _export(
        output, lambda out: forms.org_pdf(found, out, printed_on=today_local(), font=_font()),
        target_type="org", target_id=found.id, form="附件1",
    )
    click.echo(f"已生成“{found.name}”的《党组织和所在单位基本信息采集表》{output}（{pages} 页）")


def _org(name: str) -> Org:
    try:
        return find_org(name)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None


def _font() -> str | None:
    return current_app.config.get("PDF_FONT")


def _export(
    output: Path, render: Callable[[BinaryIO], int], *, target_type: str, target_id: int, form: str
) -> int:
    """Render into a temporary file beside output, move it into place, audit and commit."""
    if output.suffix.lower() != ".pdf":
        raise click.ClickException(f"输出文件“{output.name}”应以 .pdf 结尾")
    part = output.with_name(output.name + ".part")
    try:
        with open(part, "wb") as out:
            pages = render(out)
        os.replace(part, output)  # a half-written PDF never carries the final name
    except ServiceError as exc:
        part.unlink(missing_ok=True)
        raise click.ClickException(exc.message) from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    try:
        run_unit(partial(audit.record, "export.form", actor="cli", target_type=target_type,
                         target_id=target_id, form=form, pages=pages, file=output.name))
    except BaseException:
        output.unlink(missing_ok=True)  # no unaudited export is left behind
        raise
    return pages
