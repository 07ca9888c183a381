"""`flask quality report`: the 回头看 data-quality review over stored data."""

from __future__ import annotations

import json
import unicodedata
from functools import partial
from pathlib import Path

import click
from flask.cli import AppGroup

from service import audit
from service.clock import format_local, today_local
from service.errors import NotFound
from service.quality.export import SEVERITY_LABELS, report_dict, write_xlsx
from service.quality.report import OrgSummary, QualityReport, build_report
from service.roster.orgs import find_org
from service.unit_of_work import run_unit

group = AppGroup("quality", help="数据质量核查（回头看）。")


@group.command(
    "report", help="核查全部数据（回头看），按党组织列出问题，可输出 Excel 或 JSON。")
@click.option("--org", "org_name", help="只核查该党组织及其下级（填全称），默认核查全部")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="把报告写入 .xlsx 文件")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出报告")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=0),
              help="终端显示的问题条数")
def report(org_name: str | None, output: Path | None, as_json: bool, limit: int) -> None:
    """Review all stored data (回头看) and report problems per org and member."""
    if output is not None and output.suffix.lower() != ".xlsx":
        raise click.ClickException(f"输出文件“{output.name}”应以 .xlsx 结尾")
    try:
        scope = find_org(org_name) if org_name else None
    except NotFound as exc:
        raise click.ClickException(exc.message) from None
    result = build_report(scope, today_local())
    if output is not None:
        try:
            write_xlsx(result, output)
        except OSError as exc:
            raise click.ClickException(f"无法写入“{output}”：{exc.strerror}") from None
    run_unit(partial(audit.record, "quality.report", actor="cli", target_type="org",
                     target_id=scope.id if scope else None, scope=result.scope,
                     output="xlsx" if output else "json" if as_json else "terminal",
                     members=result.total.members, errors=result.total.errors,
                     warnings=result.total.warnings))
    if as_json:
        click.echo(json.dumps(report_dict(result), ensure_ascii=False, indent=2))
    elif output is not None:
        click.echo(f"已写入 {output}：{_headline(result)}")
    else:
        _print(result, limit)


def _headline(r: QualityReport) -> str:
    return (f"党员{r.total.members}人，信息完整度{_percent(r.total)}，"
            f"错误{r.total.errors}条，警告{r.total.warnings}条")


def _print(r: QualityReport, limit: int) -> None:
    click.echo(f"数据质量核查（回头看）报告　范围：{r.scope}　"
               f"生成时间：{format_local(r.generated_at)}")
    click.echo(_headline(r))
    click.echo("\n各党组织（只计本组织直属党员）：")
    widths = (max([_width(s.name) + 2 * s.depth for s in r.orgs] + [8]), 6, 8, 8, 10, 6, 6)
    headers = ("党组织", "党员数", "正式党员", "预备党员", "信息完整度", "错误", "警告")
    click.echo(_row(headers, widths))
    for s in [*r.orgs, r.total]:
        name = "　" * s.depth + s.name
        click.echo(_row((name, s.members, s.full_members, s.probationary, _percent(s),
                         s.errors, s.warnings), widths))
    click.echo("\n按问题类别：")
    for category, n in r.by_category().items() or [("（未发现问题）", 0)]:
        click.echo(f"  {_pad(category, 26)}{n}")
    if not r.problems:
        return
    shown = r.problems[:limit]
    click.echo(f"\n问题清单（显示前{len(shown)}条，共{len(r.problems)}条；完整清单请用 -o 导出）：")
    for f in shown:
        who = f" {f.member_name} {f.masked_id}".rstrip() if f.member_id else ""
        click.echo(f"[{SEVERITY_LABELS[f.severity]}] {f.org_name}{who}｜{f.category}｜"
                   f"{f.rule}｜{f.message}")


def _percent(s: OrgSummary) -> str:
    return "—" if s.completeness is None else f"{s.completeness:.1f}%"


def _width(text: str) -> int:
    # CJK characters take two terminal columns; padding by len() would skew the table.
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def _row(cells: tuple[object, ...], widths: tuple[int, ...]) -> str:
    return "  ".join(_pad(str(c), w) for c, w in zip(cells, widths, strict=True)).rstrip()
