"""The 回头看 report as JSON-ready data and as an .xlsx workbook (汇总, 问题清单, 说明)."""

from __future__ import annotations

import re
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from service.clock import to_local
from service.quality.report import Finding, OrgSummary, QualityReport
from service.records.xlsx_values import neutralize
from service.records.xlsx_write import save

SEVERITY_LABELS = {"error": "错误", "warning": "警告"}
SUMMARY_HEADER = ("党组织", "党员数", "正式党员数", "预备党员数", "信息完整度", "错误数", "警告数")
PROBLEM_HEADER = ("党组织", "姓名", "公民身份证号", "问题类别", "规则", "说明", "严重程度")
COMPLETENESS_NOTE = (
    "信息完整度 = 党组织全部党员已填写的必填项数 ÷ 应填写的必填项数。每名党员按附件2计15项："
    "姓名、性别、民族、公民身份证号、出生日期、学历、人员类别、所在党支部、加入党组织日期、工作岗位、"
    "联系电话（手机号或固定电话填一项即可）、家庭住址、党籍状态、是否为失联党员（失联的须填失去联系"
    "日期）、是否为流动党员（流动的须填外出流向）；正式党员另计转为正式党员日期，但在规定无预备期"
    "时期（1921-07-01至1923-06-09、1928-06-18至1945-04-22、1969-04-01至1977-08-11）入党的不计。"
    "只统计本组织直属党员，不含下级党组织。")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # XML 1.0 forbids them in a cell


def safe_text(value: str) -> str:
    """Return text safe for a cell: no control characters, never run as a formula."""
    return neutralize(_ILLEGAL.sub("", value))


def summary_dict(s: OrgSummary) -> dict[str, Any]:
    """Return one org's summary as JSON-ready data."""
    return {"org_id": s.org_id, "name": s.name, "org_type": s.org_type, "depth": s.depth,
            "members": s.members, "full_members": s.full_members,
            "probationary": s.probationary, "completeness": s.completeness,
            "filled_items": s.filled_items, "required_items": s.required_items,
            "errors": s.errors, "warnings": s.warnings, "held": s.held,
            "to_supplement": s.to_supplement}


def finding_dict(f: Finding) -> dict[str, Any]:
    """Return one finding as JSON-ready data (the ID number is already masked)."""
    return {"org_id": f.org_id, "org_name": f.org_name, "member_id": f.member_id,
            "member_name": f.member_name, "masked_id": f.masked_id, "category": f.category,
            "rule": f.rule, "field": f.field, "message": f.message, "severity": f.severity}


def report_dict(report: QualityReport) -> dict[str, Any]:
    """Return the whole report as JSON-ready data."""
    return {
        "scope": report.scope,
        "scope_org_id": report.scope_org_id,
        "generated_at": to_local(report.generated_at).isoformat(timespec="seconds"),
        "today": report.today.isoformat(),
        "total": summary_dict(report.total),
        "by_category": report.by_category(),
        "orgs": [summary_dict(s) for s in report.orgs],
        "problems": [finding_dict(f) for f in report.problems],
    }


def write_xlsx(report: QualityReport, target: str | IO[bytes]) -> None:
    """Write the report as a workbook; rows stream out, so a big report stays small in memory."""
    wb = Workbook(write_only=True)
    summary = wb.create_sheet("汇总")
    summary.append(SUMMARY_HEADER)
    for s in [*report.orgs, report.total]:
        summary.append(_summary_row(summary, s))
    problems = wb.create_sheet("问题清单")
    problems.append(PROBLEM_HEADER)
    for f in report.problems:
        problems.append([safe_text(v) for v in (
            f.org_name, f.member_name, f.masked_id, f.category, f.rule, f.message,
            SEVERITY_LABELS.get(f.severity, f.severity))])
    about = wb.create_sheet("说明")
    for label, value in (("范围", report.scope),
                         ("生成时间", to_local(report.generated_at).strftime("%Y-%m-%d %H:%M")),
                         ("核查日期", report.today.isoformat()),
                         ("信息完整度计算方法", COMPLETENESS_NOTE)):
        about.append([label, safe_text(value)])
    save(wb, target)


def _summary_row(sheet: WriteOnlyWorksheet, s: OrgSummary) -> list[Any]:
    completeness = WriteOnlyCell(sheet, value=None if s.completeness is None
                                 else s.filled_items / s.required_items)
    completeness.number_format = "0.0%"
    name = "　" * s.depth + s.name if s.org_id is not None else s.name  # indent shows the tree
    return [safe_text(name), s.members, s.full_members, s.probationary, completeness,
            s.errors, s.warnings]
