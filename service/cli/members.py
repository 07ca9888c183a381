"""`flask members import|export`: 附件4 党员基本信息汇总表 in and out of the roster."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import IO

import click
from flask import current_app
from flask.cli import AppGroup

from service import audit
from service.campaign import member_import as importing
from service.cli.xlsx_common import (
    echo_problems,
    finish_import,
    import_options,
    open_scope,
    refuse_bad_sheet,
    report_errors,
    save_export,
    write_import,
)
from service.clock import today_local
from service.records.member_sheet import read_members, write_members
from service.records.xlsx_guard import Limits
from service.roster import exporting
from service.unit_of_work import run_unit

group = AppGroup("members", help="党员名册：导入、导出《党员基本信息汇总表》（附件4）。")


@group.command(
    "import", help="导入《党员基本信息汇总表》（附件4）；有错误时默认不导入任何数据。")
@import_options
@click.option("--hold-invalid", is_flag=True,
              help="内容有误（日期、代码等）但能确定本人和所在党支部的行暂存为“待修正”，不发确认卡，"
                   "改正后再发；无法确定本人或党支部的行仍拒绝导入")
@click.option("--accept-changes", is_flag=True,
              help="确认修改已有党员的姓名：人数超过 IMPORT_MAX_IDENTITY_CHANGES（默认 3）时，"
                   "不加此项将拒绝导入")
def import_members(file: Path, dry_run: bool, skip_invalid: bool, errors_out: Path | None,
                   hold_invalid: bool, accept_changes: bool) -> None:
    """Import a 党员基本信息汇总表 (附件4)."""
    if skip_invalid and hold_invalid:
        raise click.ClickException("--skip-invalid 与 --hold-invalid 只能选一个")
    with refuse_bad_sheet():
        sheet = read_members(file, today_local(), Limits.from_config(current_app.config))
    result = importing.ImportResult()
    with refuse_bad_sheet(), click.progressbar(length=sheet.total, label="检查",
                                               file=sys.stderr) as bar:
        pending = importing.check_members(sheet.rows, sheet.header, result, bar.update,
                                          hold=hold_invalid)
    for ignored in sheet.header.ignored:
        click.echo(f"未识别的列，已忽略：{ignored}", err=True)
    echo_problems(result.problems)
    if errors_out is not None:
        report_errors(file, errors_out, result.problems,
                      {sheet.header.sheet: sheet.header.header_rows[0]})
    refusal = importing.renames_refusal(
        result, current_app.config["IMPORT_MAX_IDENTITY_CHANGES"], "请加 --accept-changes 重新导入")
    if refusal and not accept_changes:
        raise click.ClickException(refusal)
    blocked = result.error_rows and not (skip_invalid or hold_invalid)
    if not blocked and pending:
        def write() -> None:
            with click.progressbar(length=len(pending), label="试写入" if dry_run else "写入",
                                   file=sys.stderr) as bar:
                importing.write_members(pending, file.name, result, bar.update)

        write_import(write, dry_run=dry_run, record=lambda: audit.record(
            "members.import", actor="cli", target_type="file", target_id=file.name,
            created=result.created, updated=result.updated, error_rows=result.error_rows,
            held=result.held, renamed=len(result.renames)))
    finish_import(result.summary(), result.error_rows, dry_run=dry_run, blocked=bool(blocked))


@group.command(
    "export", help="导出《党员基本信息汇总表》（附件4），可加密码用于报送。")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出的 .xlsx 文件")
@click.option("--org", "org_name", help="只导出该党组织及其下级（全称）")
@click.option("--password", help="给文件加密码（报送用）；Excel 和 LibreOffice 打开时输入")
def export_members(output: Path, org_name: str | None, password: str | None) -> None:
    """Export the roster as a 党员基本信息汇总表 (附件4)."""
    scope = open_scope(org_name)
    total = exporting.count_members(scope)
    party = exporting.committee_name(scope)
    count = 0

    def write(out: IO[bytes]) -> None:
        nonlocal count
        with click.progressbar(length=total, label="导出",
                               file=sys.stderr) as bar:
            count = write_members(out, exporting.member_records(scope), party=party,
                                  on=today_local(), progress=bar.update,
                                  mark=exporting.anchor_stamp())

    save_export(output, password, write)
    run_unit(partial(audit.record, "members.export", actor="cli", target_type="org",
                     target_id=scope.id if scope else None, count=count,
                     encrypted=bool(password)))
    click.echo(f"已导出 {count} 名党员到 {output}" + ("（已加密）" if password else ""))
    if not count:
        click.echo("名册中还没有党员：请先用 flask members import "
                   "导入《党员基本信息汇总表》（附件4）。")
