"""Acceptance sampling: sizes from the 2011 rules, reproducible draws, checklists and scores."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from service.errors import Conflict, ServiceError
from service.extensions import db
from service.models import AdminUser, AuditLog, Org
from service.models.sampling import BRANCH, MEMBER
from service.review import sampling, scoresheet
from testkit.factories import make_member, make_org


@pytest.mark.parametrize(("total", "size"), [
    (0, 0), (1, 1), (4, 4), (5, 5), (6, 5), (50, 5), (51, 10), (100, 10), (101, 15),
    (200, 15), (201, 20), (5000, 20),
])
def test_sample_size_follows_the_ladder_of_the_2011_rules(total: int, size: int) -> None:
    assert scoresheet.sample_size(total) == size


@pytest.mark.parametrize(("total", "size"), [(0, 0), (1, 1), (20, 1), (21, 2), (100, 5)])
def test_committee_sample_is_at_least_five_percent(total: int, size: int) -> None:
    assert scoresheet.committee_sample_size(total) == size


def test_scoring_sheet_adds_up_to_the_printed_points() -> None:
    by_group: dict[str, int] = {}
    for item in scoresheet.ITEMS:
        by_group[item.group] = by_group.get(item.group, 0) + item.points
    assert by_group == scoresheet.GROUP_POINTS
    assert sum(by_group.values()) == 100
    assert [i.no for i in scoresheet.ITEMS] == list(range(1, 21))
    assert scoresheet.BY_NO[7].per_problem == 2


@pytest.mark.parametrize(("score", "grade"), [(100, "优秀"), (95, "优秀"), (94.9, "合格"),
                                              (90, "合格"), (89.9, "不合格")])
def test_grade_bands(score: float, grade: str) -> None:
    assert scoresheet.grade(score) == grade


def test_draw_is_reproducible_and_depends_on_the_seed() -> None:
    population = list(range(1, 501))
    first = sampling.draw(population, 20, "abc", MEMBER)
    assert first == sampling.draw(population, 20, "abc", MEMBER)
    assert first != sampling.draw(population, 20, "abd", MEMBER)
    assert first != sampling.draw(population, 20, "abc", BRANCH)
    assert len(set(first)) == 20 and set(first) <= set(population)


def _committee(branches: int, per_branch: int) -> tuple[Org, AdminUser]:
    root = make_org(name="中共抽查测试委员会")
    for _ in range(branches):
        b = make_org(root)
        for _ in range(per_branch):
            make_member(b)
    user = AdminUser(username="inspector", display_name="检查员", role="org_department",
                     org_id=root.id)
    user.set_password("x-long-password-1")
    db.session.add(user)
    db.session.flush()
    return root, user


def test_draw_run_records_sizes_items_and_audit(app_ctx: Flask) -> None:
    root, user = _committee(branches=12, per_branch=6)  # 12 branches, 72 members
    run = sampling.draw_run(root, actor_id=user.id, seed="seed-1")
    db.session.commit()
    assert (run.branch_total, run.member_total) == (12, 72)
    assert (run.branch_size, run.member_size) == (5, 10)
    kinds = [i.kind for i in run.items]
    assert kinds.count(BRANCH) == 5 and kinds.count(MEMBER) == 10
    assert all(i.member_id is None for i in run.items if i.kind == BRANCH)
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "sampling.draw")).one()
    assert audit.detail["seed"] == "seed-1" and audit.detail["members"] == 10

    again = sampling.draw_run(root, actor_id=user.id, seed="seed-1")
    other = sampling.draw_run(root, actor_id=user.id, seed="seed-2")
    picked = [(i.kind, i.org_id, i.member_id) for i in run.items]
    assert [(i.kind, i.org_id, i.member_id) for i in again.items] == picked
    assert [(i.kind, i.org_id, i.member_id) for i in other.items] != picked


def test_draw_without_a_seed_records_a_fresh_one(app_ctx: Flask) -> None:
    root, user = _committee(branches=2, per_branch=2)
    a = sampling.draw_run(root, actor_id=user.id)
    b = sampling.draw_run(root, actor_id=user.id)
    assert a.seed and b.seed and a.seed != b.seed
    assert (a.branch_size, a.member_size) == (2, 4)  # small populations are checked in full


def test_empty_scope_is_refused(app_ctx: Flask) -> None:
    root, user = _committee(branches=0, per_branch=0)
    with pytest.raises(ServiceError, match="没有党支部和党员"):
        sampling.draw_run(root, actor_id=user.id)


def test_checks_and_summary_arithmetic(app_ctx: Flask) -> None:
    root, user = _committee(branches=3, per_branch=2)
    run = sampling.draw_run(root, actor_id=user.id, seed="s")
    branch = next(i for i in run.items if i.kind == BRANCH)
    member = next(i for i in run.items if i.kind == MEMBER)
    # Item 7 costs 2 points a problem, capped at its 5 points.
    sampling.record_check(branch, 7, passed=False, problems=3, reason="查出三条错误",
                          actor_id=user.id)
    sampling.record_check(branch, 1, passed=False, problems=2, reason="书记姓名未填",
                          actor_id=user.id)
    sampling.record_check(member, 8, passed=False, problems=1, reason="民族填写错误",
                          actor_id=user.id)
    sampling.record_check(member, 9, passed=True, actor_id=user.id)
    s = sampling.summarise(run)
    rows = {r.item.no: r for r in s.rows}
    assert rows[7].deduction == 5 and rows[7].score == 0
    assert rows[1].deduction == 2 and rows[8].deduction == 1 and rows[9].deduction == 0
    assert s.points == 80 and s.earned == 80 - 8
    assert s.score == round(100 * 72 / 80, 1) == 90.0 and s.grade == "合格"
    assert s.records == len(run.items) and s.failed_records == 2 and s.checked_records == 0

    # Changing a verdict replaces it rather than adding another.
    sampling.record_check(branch, 7, passed=True, actor_id=user.id)
    assert sampling.summarise(run).earned == 80 - 3


def test_a_failed_item_needs_problems_and_a_reason(app_ctx: Flask) -> None:
    root, user = _committee(branches=1, per_branch=1)
    run = sampling.draw_run(root, actor_id=user.id, seed="s")
    branch = next(i for i in run.items if i.kind == BRANCH)
    with pytest.raises(ServiceError, match="请填写原因"):
        sampling.record_check(branch, 1, passed=False, problems=1, actor_id=user.id)
    with pytest.raises(ServiceError, match="至少为 1"):
        sampling.record_check(branch, 1, passed=False, problems=0, reason="x", actor_id=user.id)
    with pytest.raises(ServiceError, match="不适用"):
        sampling.record_check(branch, 8, passed=True, actor_id=user.id)


def test_close_needs_every_record_checked_and_then_freezes(app_ctx: Flask) -> None:
    root, user = _committee(branches=1, per_branch=1)
    run = sampling.draw_run(root, actor_id=user.id, seed="s")
    with pytest.raises(ServiceError, match="未检查完"):
        sampling.close_run(run, actor_id=user.id)
    for item in run.items:
        for score_item in sampling.items_for(item):
            sampling.record_check(item, score_item.no, passed=True, actor_id=user.id)
    s = sampling.summarise(run)
    assert s.checked_records == s.records == 2 and s.score == 100.0 and s.grade == "优秀"
    sampling.close_run(run, actor_id=user.id)
    with pytest.raises(Conflict):
        sampling.record_check(run.items[0], 1, passed=True, actor_id=user.id)


def test_the_sheet_keeps_100_points_and_explains_the_total(app_ctx: Flask) -> None:
    root, user = _committee(branches=1, per_branch=1)
    run = sampling.draw_run(root, actor_id=user.id, seed="s")
    member = next(i for i in run.items if i.kind == MEMBER)
    sampling.record_check(member, 8, passed=False, problems=4, reason="民族、学历填写错误",
                          actor_id=user.id)
    s = sampling.summarise(run)
    assert [r.item.no for r in s.rows] == list(range(1, 21)) and s.full_points == 100
    left_out = [r for r in s.rows if not r.applicable]
    assert [r.item.no for r in left_out] == [17, 18, 19, 20]
    assert all("不适用" in r.reason and "申请入党人" in r.reason for r in left_out)
    assert all(r.score == 0 for r in left_out) and all(r.reason == "" for r in s.rows[:16])
    assert (s.points, s.earned, s.score) == (80, 76, 95.0)
    assert "满分100分" in s.explanation and "76 ÷ 80 × 100 = 95.0" in s.explanation


def test_the_committee_draw_takes_five_percent_of_the_committees_reproducibly(
        app_ctx: Flask) -> None:
    from service.models.sampling import COMMITTEE
    from service.review.committees import committee_ids, draw_committees

    county = make_org(name="中共测试县委员会")  # a 党委 over 党委: not a 基层党委
    committees = [make_org(county, name=f"中共测试第{n}党委", org_type="611") for n in range(25)]
    for c in committees[:3]:
        make_org(c)  # a branch below changes nothing
    user = AdminUser(username="inspector", display_name="检查员", role="org_department",
                     org_id=county.id)
    user.set_password("x-long-password-1")
    db.session.add(user)
    db.session.flush()
    assert committee_ids(None) == [c.id for c in committees]
    run = draw_committees(None, county, actor_id=user.id, seed="2011")
    assert (run.committee_total, run.committee_size) == (25, 2)
    assert [i.kind for i in run.items] == [COMMITTEE, COMMITTEE]
    again = draw_committees(None, county, actor_id=user.id, seed="2011")
    assert [i.org_id for i in again.items] == [i.org_id for i in run.items]
    assert {i.org_id for i in run.items} <= {c.id for c in committees}
    with pytest.raises(ServiceError, match="没有基层党委"):
        draw_committees(committees[0].children[0], county, actor_id=user.id)


def test_an_unchecked_run_has_no_grade_yet(app_ctx: Flask) -> None:
    root, user = _committee(branches=1, per_branch=1)
    run = sampling.draw_run(root, actor_id=user.id, seed="s")
    s = sampling.summarise(run)
    assert (s.started, s.status, s.grade) == (False, "未开始", "未开始")
    assert "尚未检查任何记录" in s.explanation and sampling.runs_started([run.id]) == set()
    sampling.record_check(run.items[0], sampling.items_for(run.items[0])[0].no, passed=True,
                          actor_id=user.id)
    s = sampling.summarise(run)
    assert (s.started, s.status, s.grade) == (True, "检查中", "优秀")
    assert sampling.runs_started([run.id]) == {run.id}
