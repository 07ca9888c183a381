"""`flask calendar …`: import a year's holidays and make-up working days, and show a year."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import click
from flask.cli import AppGroup

from service.errors import ServiceError
from service.holidays.files import read_days
from service.holidays.store import import_days, year_days, year_statement
from service.unit_of_work import run_unit

group = AppGroup("calendar", help="节假日安排（放假与调休上班日），优先于 chinesecalendar。")


@group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_file(file: Path) -> None:
    """导入节假日安排文件（全部正确才写入；同一天再次导入即替换）。

    \b
    文本文件（UTF-8，.txt），每行一天：日期 放假/上班 名称
      # 2027 年部分节假日安排
      2027-02-10 放假 春节
      2027-02-07 上班 春节调休
    # 开头为注释，空行忽略；日期也可写作 2027/2/10、2027.02.10、2027年2月10日。
    Excel 文件（.xlsx）：第一张工作表，表头为 日期、类型、名称。
    \b
    导入某一年的任何一天即视为该年安排已导入，请一次导入全年的放假和调休上班日。
    """
    try:
        days = read_days(file.name, file.read_bytes())
        result = run_unit(lambda: import_days(days, actor="cli", source=file.name))
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(result.summary())


@group.command("show")
@click.argument("year", type=click.IntRange(2000, 2099))
def show(year: int) -> None:
    """列出某年的放假和调休上班日，注明来源（导入 / chinesecalendar）。"""
    days = year_days(year)
    if days:
        click.echo("  ".join(_pad(h, w) for h, w in zip(_HEAD, _WIDTHS, strict=True)).rstrip())
    for d in days:
        cells = (d.day.isoformat(), f"周{_WEEKDAYS[d.day.weekday()]}", d.kind_label, d.source,
                 d.name)
        click.echo("  ".join(_pad(c, w) for c, w in zip(cells, _WIDTHS, strict=True)).rstrip())
    click.echo(year_statement(year))


_WEEKDAYS = "一二三四五六日"
_HEAD = ("日期", "星期", "类型", "来源", "名称")
_WIDTHS = (10, 4, 4, 15, 0)


def _pad(text: str, width: int) -> str:
    """Pad to ``width`` terminal columns (a Chinese character takes two)."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)
