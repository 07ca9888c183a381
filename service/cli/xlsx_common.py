"""Helpers shared by the `members` and `orgs` spreadsheet commands: scope, refusals, reports."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import IO, Any

import click
from openpyxl.utils.exceptions import InvalidFileException

from service.errors import NotFound
from service.models import Org
from service.records.error_report import write_error_report
from service.records.member_sheet import mask_numbers
from service.records.xlsx_crypto import save_protected
from service.records.xlsx_read import CellProblem, SheetFormatError
from service.roster.orgs import find_org
from service.unit_of_work import run_unit

MAX_SHOWN = 200  # past this the console is no place to read them: use --errors-out


def import_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the FILE argument and the options every roster import takes."""
    for decorate in reversed((
        click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path)),
        click.option("--dry-run", is_flag=True, help="只检查并报告，不写入"),
        click.option("--skip-invalid", is_flag=True, help="跳过有错误的行，导入其余各行"),
        click.option("--errors-out", type=click.Path(dir_okay=False, path_type=Path),
                     help="把错误报告写成输入表格的副本（标出错误单元格，并加“错误原因”列）"),
    )):
        command = decorate(command)
    return command


def write_import(write: Callable[[], None], *, dry_run: bool, record: Callable[[], Any]) -> None:
    """Run an import's writes as one unit: committed with its audit entry (``record``), or,
    for a dry run, rolled back, so the summary counts what a real run would change."""
    # Once: the writes count into the caller's result as they go.
    run_unit(partial(_write, write, None if dry_run else record), attempts=1, dry_run=dry_run)


def _write(write: Callable[[], None], record: Callable[[], Any] | None) -> None:
    write()
    if record is not None:
        record()


def finish_import(summary: str, error_rows: int, *, dry_run: bool, blocked: bool) -> None:
    """Print the import summary, and refuse (exit non-zero) when errors blocked the import."""
    click.echo(summary)
    if dry_run:
        click.echo("（试运行：未写入任何数据）")
    if dry_run and blocked:  # exit non-zero so a script checking a file sees the errors
        raise click.ClickException(f"有 {error_rows} 行错误，正式导入时将被拒绝")
    if blocked:
        raise click.ClickException(
            f"有 {error_rows} 行错误，未导入任何数据；请改正后重新导入，"
            "或加 --skip-invalid 只导入无误的行")


@contextmanager
def refuse_bad_sheet() -> Iterator[None]:
    """Turn an unreadable workbook into a Chinese CLI refusal."""
    try:
        yield
    except SheetFormatError as e:
        raise click.ClickException(str(e)) from None
    except (OSError, KeyError, ValueError, InvalidFileException, zipfile.BadZipFile):
        raise click.ClickException("无法读取该文件：应为未加密的 .xlsx 格式 Excel 工作簿"
                                   "（.xls 请先用 Excel 或 WPS 另存为 .xlsx）") from None


def echo_problems(problems: Iterable[CellProblem]) -> None:
    """Print problems (personal numbers masked), errors first, at most MAX_SHOWN."""
    ordered = sorted(problems, key=lambda p: (not p.is_error, p.sheet, p.row, p.column))
    for p in ordered[:MAX_SHOWN]:
        click.echo(mask_numbers(p.describe()), err=True)
    if len(ordered) > MAX_SHOWN:
        click.echo(f"……另有 {len(ordered) - MAX_SHOWN} 条未显示，请用 --errors-out 查看全部",
                   err=True)


def report_errors(source: Path, target: Path, problems: list[CellProblem],
                  header_rows: dict[str, int]) -> None:
    """Write the --errors-out copy of source (owner-only: it holds ID numbers); say where."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
    with os.fdopen(fd, "wb") as out:
        rows = write_error_report(source, out, problems, header_rows)
    click.echo(f"错误报告已写入 {target}（{rows} 行有标注）", err=True)


def open_scope(org_name: str | None) -> Org | None:
    """Return the org named by --org, or refuse in Chinese."""
    if not org_name:
        return None
    try:
        return find_org(org_name)
    except NotFound as e:
        raise click.ClickException(e.message) from None


def save_export(output: Path, password: str | None, write: Callable[[IO[bytes]], Any]) -> None:
    """Write an export to output, encrypted when a password is given."""
    if password is not None and not password:
        raise click.ClickException("密码不能为空")
    if not output.parent.exists():
        raise click.ClickException(f"目录不存在：{output.parent}")
    save_protected(output, password, write)
