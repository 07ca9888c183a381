"""The 回头看 report: each rule fires where it should, completeness math, JSON and xlsx output."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from service.extensions import db
from service.models import AuditLog, Member, Org
from service.quality import rules
from service.quality.report import Finding, QualityReport, build_report
from service.records.idcard import id_check_char, mask_id
from testkit.factories import make_member, make_org, member_record, synthetic_id

TODAY = date(2024, 6, 1)
CLEAN_ORG = {"secretary": "张书记", "contact": "李联系", "contact_phone": "13900000001"}
UNIT = {"name": "测试有限公司", "unit_type": "21", "party_org_status": "11", "unit_code": "0"}


@dataclass
class Dataset:
    committee: Org
    clean: Org  # 3 clean full members
    small: Org  # 2 full members + 1 probationary (named to look like a formula)
    large: Org  # 51 members, among them every member-level problem
    clean_ids: list[int]
    special: dict[str, Member]
    legacy_twin: Member  # in ``small``: the 18-digit form of a 15-digit number stored in ``large``


def _own_id(birth: date, serial: int, male: bool = True) -> str:
    # A region the factory never uses, so these numbers cannot collide with its serials.
    return synthetic_id(birth, serial, region="110106", male=male)


def _bad_check_id(birth: date, serial: int) -> str:
    good = _own_id(birth, serial)
    wrong = next(c for c in "0123456789X" if c != id_check_char(good[:17]))
    return good[:17] + wrong


def _build() -> Dataset:
    committee = make_org(name="中共测试委员会", units=[UNIT], **CLEAN_ORG)
    clean = make_org(committee, name="中共测试第一支部委员会", **CLEAN_ORG)
    small = make_org(committee, name="=测试第二支部", **CLEAN_ORG)
    large = make_org(committee, name="中共测试第三支部委员会", **CLEAN_ORG)
    clean_ids = [make_member(clean).id for _ in range(3)]
    make_member(small)
    make_member(small)
    legacy18 = _own_id(date(1949, 12, 31), 5)
    legacy_twin = make_member(small, id_number=legacy18, birth_date=date(1949, 12, 31),
                              member_type="预备党员", joined_on=date(2023, 9, 1), full_on=None)
    special = {
        "short": make_member(large, joined_on=date(2010, 1, 10), full_on=date(2010, 11, 10)),
        "no_probation": make_member(large, birth_date=date(1950, 1, 1),
                                    joined_on=date(1972, 5, 1), full_on=date(1973, 5, 1)),
        "sex": make_member(large, sex="女", id_number=_own_id(date(1980, 3, 15), 301)),
        "birth": make_member(large, id_number=_own_id(date(1980, 3, 15), 302),
                             birth_date=date(1981, 3, 15)),
        "check": make_member(large, id_number=_bad_check_id(date(1980, 3, 15), 303)),
        "twin_a": make_member(large, name="王重复", birth_date=date(1975, 6, 1)),
        "twin_b": make_member(large, name="王重复", birth_date=date(1975, 6, 1)),
        "missing": make_member(large, education=None),
        "legacy": make_member(large, id_number=legacy18[:6] + legacy18[8:17],
                              birth_date=date(1949, 12, 31)),
        "direct": make_member(committee),
    }
    for _ in range(51 - 9):  # every special except "direct" sits in the large branch
        make_member(large)
    db.session.flush()
    return Dataset(committee, clean, small, large, clean_ids, special, legacy_twin)


def _by_rule(report: QualityReport, rule: str) -> list[Finding]:
    return [f for f in report.problems if f.rule == rule]


def _one(report: QualityReport, rule: str, member: Member) -> Finding:
    hits = [f for f in _by_rule(report, rule) if f.member_id == member.id]
    assert len(hits) == 1, (rule, report.problems)
    return hits[0]


def test_each_rule_fires_exactly_where_expected(app_ctx: Flask) -> None:
    d = _build()
    report = build_report(None, TODAY, batch_size=7)  # several batches of the stream
    s = d.special

    # "党支部中党员少于3人" counts every member: 2 正式 + 1 预备 are 3, not too few.
    assert _by_rule(report, "BRANCH_LT_3_MEMBERS") == []
    large = _by_rule(report, "BRANCH_GT_50_MEMBERS")
    assert [(f.org_id, f.severity) for f in large] == [(d.large.id, "warning")]
    assert "51" in large[0].message

    expected = {
        "PROBATION_LT_1_YEAR": (s["short"], rules.PROBATION_SHORT),
        "FULL_DATE_IN_NO_PROBATION_PERIOD": (s["no_probation"], rules.NO_PROBATION_FULL),
        "ID_SEX_MISMATCH": (s["sex"], rules.ID_SEX),
        "ID_BIRTH_MISMATCH": (s["birth"], rules.ID_BIRTH),
        "ID_CHECKSUM": (s["check"], rules.ID_INVALID),
        "MEMBER_NOT_IN_BRANCH": (s["direct"], rules.NOT_IN_BRANCH),
    }
    for rule, (member, category) in expected.items():
        assert [f.member_id for f in _by_rule(report, rule)] == [member.id], rule
        f = _one(report, rule, member)
        assert (f.org_id, f.member_name, f.category) == (member.org_id, member.name, category)
        assert f.masked_id == mask_id(member.id_number or "")
        assert f.masked_id.count("*") == 10

    twins = _by_rule(report, "DUPLICATE_NAME_BIRTH")
    assert sorted(f.member_id for f in twins) == sorted([s["twin_a"].id, s["twin_b"].id])
    assert {(f.org_id, f.category, f.severity) for f in twins} == {
        (d.large.id, rules.DUPLICATE, "error")}

    same_id = _by_rule(report, "DUPLICATE_ID_NUMBER")
    assert sorted(f.member_id for f in same_id) == sorted([s["legacy"].id, d.legacy_twin.id])
    assert {f.masked_id for f in same_id} == {mask_id(d.legacy_twin.id_number or "")}
    legacy = _one(report, "DUPLICATE_ID_NUMBER", s["legacy"])
    assert d.small.name in legacy.message and d.legacy_twin.name in legacy.message

    missing = [f for f in _by_rule(report, "FIELD_MISSING") if f.member_id == s["missing"].id]
    assert [(f.field, f.category, f.severity) for f in missing] == [
        ("education", rules.INCOMPLETE, "error")]


def test_clean_members_and_orgs_produce_nothing(app_ctx: Flask) -> None:
    d = _build()
    report = build_report(None, TODAY)
    assert not [f for f in report.problems if f.member_id in d.clean_ids]
    assert not [f for f in report.problems if f.org_id == d.clean.id]
    clean = next(o for o in report.orgs if o.org_id == d.clean.id)
    assert (clean.members, clean.full_members, clean.errors, clean.warnings) == (3, 3, 0, 0)
    assert clean.completeness == 100.0


def test_counts_per_org_and_scope(app_ctx: Flask) -> None:
    d = _build()
    report = build_report(None, TODAY)
    by_id = {o.org_id: o for o in report.orgs}
    assert [o.org_id for o in report.orgs][0] == d.committee.id
    assert (by_id[d.small.id].members, by_id[d.small.id].full_members,
            by_id[d.small.id].probationary) == (3, 2, 1)
    assert by_id[d.large.id].members == 51
    assert report.total.members == 3 + 3 + 51 + 1
    for org in report.orgs:
        mine = [f for f in report.problems if f.org_id == org.org_id]
        assert org.errors == sum(f.severity == "error" for f in mine)
        assert org.warnings == sum(f.severity == "warning" for f in mine)
    assert report.by_category()[rules.DUPLICATE] == 4

    scoped = build_report(d.large, TODAY)
    assert scoped.scope == d.large.name and [o.org_id for o in scoped.orgs] == [d.large.id]
    assert {f.org_id for f in scoped.problems} == {d.large.id}
    # The copy in another branch is outside the scope but still found and named.
    legacy = _by_rule(scoped, "DUPLICATE_ID_NUMBER")
    assert [f.member_id for f in legacy] == [d.special["legacy"].id]
    assert d.small.name in legacy[0].message

    assert build_report(d.clean, TODAY).problems == []


def test_completeness_by_hand(app_ctx: Flask) -> None:
    committee = make_org(units=[UNIT], **CLEAN_ORG)
    branch = make_org(committee, **CLEAN_ORG)
    make_member(branch)  # 正式党员 joined 2005: 16 items required, all 16 filled
    # 预备党员: no 转正日期 item (15 required); 家庭住址 and 联系电话 empty -> 13 filled
    make_member(branch, member_type="预备党员", joined_on=date(2024, 1, 1), full_on=None,
                address=None, mobile=None)
    # joined 1970, no probation then: 转正日期 not required (15), all filled
    make_member(branch, birth_date=date(1945, 2, 1), joined_on=date(1970, 3, 1), full_on=None)
    report = build_report(branch, TODAY)
    s = report.orgs[0]
    assert (s.filled_items, s.required_items) == (16 + 13 + 15, 16 + 15 + 15)
    assert s.completeness == round(100 * 44 / 46, 1) == 95.7


@pytest.mark.parametrize(("overrides", "expected"), [
    ({}, (16, 16)),
    ({"full_on": None}, (15, 16)),
    ({"mobile": None, "landline": "010-12345678"}, (16, 16)),
    ({"is_lost": True, "lost_since": None}, (15, 16)),
    ({"is_lost": True, "lost_since": "2020-01"}, (16, 16)),
    ({"is_floating": True, "flow_to": None}, (15, 16)),
    ({"joined_on": date(1935, 5, 1), "full_on": None, "birth_date": date(1915, 1, 1)}, (15, 15)),
    ({"name": " ", "member_type": None, "full_on": None}, (13, 15)),
])
def test_completeness_items(overrides: dict[str, Any], expected: tuple[int, int]) -> None:
    record = member_record(branch="中共测试支部委员会", **overrides)
    assert rules.completeness_items(record) == expected


def test_branch_size_rules() -> None:
    c = rules.OrgCounts
    assert [p.rule for p in rules.branch_size_problems("631", c(0, 0, 0))] == ["BRANCH_NO_MEMBERS"]
    assert rules.branch_size_problems("631", c(5, 2, 3)) == []
    assert [p.rule for p in rules.branch_size_problems("631", c(2, 1, 1))] == [
        "BRANCH_LT_3_MEMBERS"]
    assert rules.branch_size_problems("931", c(2, 2, 0))[0].severity == "warning"
    assert rules.branch_size_problems("631", c(50, 50, 0)) == []
    assert [p.rule for p in rules.branch_size_problems("632", c(101, 101, 0))] == [
        "BRANCH_GT_100_MEMBERS"]
    assert rules.branch_size_problems("611", c(0, 0, 0)) == []
    assert rules.not_in_branch_problem("621") is not None
    assert rules.not_in_branch_problem("631") is None
    assert rules.category_of("JOIN_BEFORE_BIRTH") == rules.INACCURATE


def test_org_validator_findings_are_reported(app_ctx: Flask) -> None:
    committee = make_org(units=[UNIT], **CLEAN_ORG)
    units = [{**UNIT, "name": f"共建单位{i}", "party_org_status": "2"} for i in range(6)]
    joint = make_org(committee, org_type="632", unit_situation="联合支部", units=units,
                     **CLEAN_ORG)
    for _ in range(3):
        make_member(joint)
    report = build_report(committee, TODAY)
    assert [(f.org_id, f.member_id, f.rule, f.category, f.severity) for f in report.problems] == [
        (joint.id, None, "JOINT_TOO_MANY_UNITS", rules.IRREGULAR, "warning")]


def _commit_dataset(app: Flask) -> dict[str, Any]:
    """Commit the dataset for a CLI run and return the plain facts the test checks against."""
    with app.app_context():
        d = _build()
        check = d.special["check"]
        facts = {"large": d.large.name, "check_id": check.id, "check_name": check.name,
                 "check_masked": mask_id(check.id_number or "")}
        db.session.commit()
        return facts


def test_cli_json(app: Flask, runner: Any) -> None:
    d = _commit_dataset(app)
    result = runner.invoke(args=["quality", "report", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["scope"] == "全部党组织" and data["total"]["members"] == 58
    rules_found = {(p["rule"], p["member_id"]) for p in data["problems"]}
    assert ("ID_CHECKSUM", d["check_id"]) in rules_found
    assert rules.BRANCH_SMALL not in data["by_category"]  # 2 正式 + 1 预备 are 3 members
    with app.app_context():
        for member in db.session.scalars(select(Member)):
            assert member.id_number not in result.output  # only masked numbers leave the report
        entry = db.session.scalars(
            select(AuditLog).where(AuditLog.action == "quality.report")).one()
        assert entry.detail["output"] == "json" and entry.detail["members"] == 58


def test_cli_xlsx(app: Flask, runner: Any, tmp_path: Path) -> None:
    d = _commit_dataset(app)
    out = tmp_path / "回头看.xlsx"
    result = runner.invoke(args=["quality", "report", "--org", "中共测试委员会", "-o", str(out)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["汇总", "问题清单", "说明"]
    summary = list(wb["汇总"].iter_rows(values_only=True))
    assert summary[0] == ("党组织", "党员数", "正式党员数", "预备党员数", "信息完整度", "错误数",
                          "警告数")
    large = next(r for r in summary if r[0].strip("　") == d["large"])
    assert large[1:4] == (51, 51, 0) and isinstance(large[4], float)
    assert summary[-1][0] == "合计" and summary[-1][1] == 58
    problems = list(wb["问题清单"].iter_rows(values_only=True))
    assert problems[0] == ("党组织", "姓名", "公民身份证号", "问题类别", "规则", "说明", "严重程度")
    row = next(r for r in problems if r[4] == "ID_CHECKSUM")
    assert row[:4] == (d["large"], d["check_name"], d["check_masked"], rules.ID_INVALID)
    assert row[6] == "错误"
    # The branch named like a formula is written as text, never as a formula.
    assert any(r[0] == "'=测试第二支部" for r in problems)
    assert not any(str(c).startswith("=") for r in problems for c in r if c)


def test_cli_terminal_and_bad_org(app: Flask, runner: Any) -> None:
    _commit_dataset(app)
    result = runner.invoke(args=["quality", "report", "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert "各党组织" in result.output and rules.ID_SEX in result.output
    assert "显示前3条" in result.output

    bad = runner.invoke(args=["quality", "report", "--org", "不存在的党委"])
    assert bad.exit_code != 0 and "不存在" in bad.output
    wrong = runner.invoke(args=["quality", "report", "-o", "report.csv"])
    assert wrong.exit_code != 0 and ".xlsx" in wrong.output
    nowhere = runner.invoke(args=["quality", "report", "-o", "/nonexistent/dir/r.xlsx"])
    assert nowhere.exit_code != 0 and "无法写入" in nowhere.output


def test_a_branch_of_two_members_is_too_small_whatever_their_type(app_ctx: Flask) -> None:
    committee = make_org(units=[UNIT], **CLEAN_ORG)
    pair = make_org(committee, **CLEAN_ORG)
    trio = make_org(committee, **CLEAN_ORG)
    make_member(pair)
    make_member(pair, member_type="预备党员", joined_on=date(2023, 9, 1), full_on=None)
    for _ in range(3):
        make_member(trio, member_type="预备党员", joined_on=date(2023, 9, 1), full_on=None)
    report = build_report(committee, TODAY)
    small = _by_rule(report, "BRANCH_LT_3_MEMBERS")
    assert [(f.org_id, f.category, f.severity) for f in small] == [
        (pair.id, rules.BRANCH_SMALL, "error")]
    assert "仅有党员2人（其中预备党员1人）" in small[0].message
