"""`flask orgs import|export`: 附件3 党组织和所在单位信息汇总表 (with its 附页) in and out."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import IO

import click
from flask import current_app
from flask.cli import AppGroup

from service import audit
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
from service.records.org_sheet import read_orgs
from service.records.org_sheet_write import write_orgs
from service.records.xlsx_guard import Limits
from service.roster import exporting, org_importing
from service.roster.org_placement import plan_lines
from service.unit_of_work import run_unit

group = AppGroup("orgs", help="党组织：导入、导出《党组织和所在单位信息汇总表》（附件3）。")


@group.command(
    "import", help="导入《党组织和所在单位信息汇总表》（附件3）及其附页。")
@import_options
def import_orgs(file: Path, dry_run: bool, skip_invalid: bool, errors_out: Path | None) -> None:
    """Import a 党组织和所在单位信息汇总表 (附件3) and its 附页."""
    with refuse_bad_sheet():
        sheet = read_orgs(file, today_local(), Limits.from_config(current_app.config))
    result = org_importing.OrgImportResult()
    valid = org_importing.check_orgs(sheet, result)
    blocked = result.error_rows and not skip_invalid
    echo_problems(result.problems)
    checked = len(result.problems)
    if not blocked and valid:
        for line in plan_lines(result.placements):  # where new orgs go, before they are written
            click.echo(line)
        write_import(lambda: org_importing.write_orgs(sheet, valid, result), dry_run=dry_run,
                     record=lambda: audit.record(
                         "orgs.import", actor="cli", target_type="file", target_id=file.name,
                         created=result.created, updated=result.updated))
        echo_problems(result.problems[checked:])
    if errors_out is not None:
        rows = {sheet.header.sheet: sheet.header.header_rows[0]}
        rows.update({p.sheet: 3 for p in result.problems if p.sheet not in rows})
        report_errors(file, errors_out, result.problems, rows)
    finish_import(result.summary(), result.error_rows, dry_run=dry_run, blocked=bool(blocked))


@group.command(
    "export", help="导出《党组织和所在单位信息汇总表》（附件3）及附页，可加密码用于报送。")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出的 .xlsx 文件")
@click.option("--org", "org_name", help="只导出该党组织及其下级（全称）")
@click.option("--password", help="给文件加密码（报送用）；Excel 和 LibreOffice 打开时输入")
def export_orgs(output: Path, org_name: str | None, password: str | None) -> None:
    """Export the org tree as a 党组织和所在单位信息汇总表 (附件3) with its 附页."""
    scope = open_scope(org_name)
    party = exporting.committee_name(scope)
    count = 0

    def write(out: IO[bytes]) -> None:
        nonlocal count
        count = write_orgs(out, exporting.org_records(scope), party=party, on=today_local(),
                           mark=exporting.anchor_stamp())

    save_export(output, password, write)
    run_unit(partial(audit.record, "orgs.export", actor="cli", target_type="org",
                     target_id=scope.id if scope else None, count=count,
                     encrypted=bool(password)))
    click.echo(f"已导出 {count} 个党组织到 {output}" + ("（已加密）" if password else ""))
