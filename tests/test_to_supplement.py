"""待补充: lost (失联) and suspended (停止党籍) members are collected with what is known, get no
card, count as accounted for once a collector records the attempt, show in the 回头看 and on
the branch's pages, and a later import or edit fills the gaps; every rule holds for a value."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from xlsx_helpers import BRANCH_A, BRANCH_B, COMMITTEE, person, write_member_roster

from service.campaign import workflow
from service.campaign.campaigns import find_campaign, progress
from service.clock import today_local
from service.errors import ServiceError
from service.extensions import db
from service.models import CampaignMember, Card, Member
from service.quality.report import build_report
from service.records.validate import validate_member
from testkit.admin import make_user, post, sign_in
from testkit.factories import make_org, member_record

ID, EDU, JOB, MOBILE, ADDRESS = "公民身份证号", "学历", "工作岗位", "手机号", "家庭住址"
LOST, SINCE, STATUS = "是否为失\n联党员", "失去联\n系日期", "党籍状态"


@pytest.fixture
def users(app: Flask) -> dict[str, int]:
    with app.app_context():
        committee = make_org(name=COMMITTEE)
        branch = make_org(committee, name=BRANCH_A)
        make_org(committee, name=BRANCH_B)
        ids = {"committee": make_user("committee_admin", committee).id,
               "collector": make_user("collector", branch).id}
        db.session.commit()
        return ids


def _lost(n: int, *, suspended: bool = False, blank: tuple[str, ...] = ()) -> dict[str, Any]:
    row = person(n)
    row.update({LOST: "是", SINCE: "2019-03"})
    if suspended:
        row[STATUS] = "停止党籍"
    for header in blank:
        row[header] = None
    return row


def _roster() -> list[dict[str, Any]]:
    """Two complete members, a 失联 one without ID number or education, a 停止党籍 one
    without job, phone and address."""
    return [person(1), person(2), _lost(3, blank=(ID, EDU)),
            _lost(4, suspended=True, blank=(JOB, MOBILE, ADDRESS))]


def _import(runner: Any, path: Path, *extra: str) -> Any:
    result = runner.invoke(args=["members", "import", str(path), *extra])
    assert result.exit_code == 0, result.output
    return result


def _members(app: Flask) -> dict[str, tuple[bool, list[str] | None]]:
    with app.app_context():
        return {m.name: (m.to_supplement, m.missing_items)
                for m in db.session.scalars(select(Member))}


def _cards(app: Flask) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(
            select(Member.name, func.count(Card.id)).join(Card, Card.member_id == Member.id)
            .group_by(Member.name)).all())


def _start(runner: Any) -> Any:
    deadline = (today_local() + timedelta(days=30)).isoformat()
    result = runner.invoke(args=["campaign", "start", "--org", COMMITTEE, "--deadline", deadline])
    assert result.exit_code == 0, result.output
    return result


def _member_id(app: Flask, name: str) -> int:
    with app.app_context():
        return db.session.scalars(select(Member.id).where(Member.name == name)).one()


def test_lost_and_suspended_rows_import_with_what_is_known_marked_to_supplement(
        app: Flask, runner: Any, users: dict[str, int], tmp_path: Path) -> None:
    result = _import(runner, write_member_roster(tmp_path / "r.xlsx", _roster()))
    assert "新增 4 人" in result.output and "错误 0 行" in result.output
    assert "2 人信息待补充（失联或停止党籍，补齐前不发确认卡）" in result.output
    assert _members(app) == {
        "测试员1": (False, None), "测试员2": (False, None),
        "测试员3": (True, ["id_number", "education"]),
        "测试员4": (True, ["job", "mobile", "address"]),
    }


def test_an_ordinary_member_without_id_number_or_education_is_still_refused(
        app: Flask, runner: Any, users: dict[str, int], tmp_path: Path) -> None:
    rows = [person(1, born=date(1980, 1, 1)), person(2)]
    rows[0][ID] = None
    rows[1][EDU] = None
    result = runner.invoke(args=["members", "import",
                                 str(write_member_roster(tmp_path / "r.xlsx", rows))])
    assert result.exit_code != 0 and "缺少公民身份证号" in result.output
    assert "缺少学历" in result.output and _members(app) == {}


def test_every_rule_still_holds_once_a_value_is_given(app_ctx: Flask) -> None:
    record = member_record(is_lost=True, lost_since="2019-03", education="99",
                           id_number="430523197504090011")
    rules = {p.rule for p in validate_member(record, date(2026, 1, 1)) if p.is_error}
    assert {"CODE_UNKNOWN", "ID_CHECKSUM"} <= rules
    record = member_record(is_lost=True, lost_since="2019-03", id_number=None, education=None,
                           branch=BRANCH_A)
    found = {p.field: p for p in validate_member(record, date(2026, 1, 1))}
    assert not any(p.is_error for p in found.values())
    assert found["id_number"].rule == "FIELD_TO_SUPPLEMENT" and "待补充" in \
        found["id_number"].message


def test_the_id_number_stays_unique_and_people_without_one_are_told_apart(
        app: Flask, runner: Any, users: dict[str, int], tmp_path: Path) -> None:
    _import(runner, write_member_roster(tmp_path / "r.xlsx", _roster()))
    taken = _lost(5)
    taken[ID] = person(1)[ID]  # 测试员1's number, in the other branch
    taken["所在党支部"] = BRANCH_B
    twin = _lost(3, blank=(ID, EDU))  # the same person twice without a number
    rows = [taken, twin, dict(twin)]
    result = runner.invoke(args=["members", "import",
                                 str(write_member_roster(tmp_path / "again.xlsx", rows))])
    assert result.exit_code != 0
    assert "属重复采集" in result.output and "均未填公民身份证号，属同一人重复填写" in result.output
    # the roster's ID-less member is found again by branch, name and birth date: no new person
    _import(runner, write_member_roster(tmp_path / "once.xlsx", [twin]))
    with app.app_context():
        assert db.session.scalar(select(func.count(Member.id))) == 4


def test_to_supplement_members_get_no_card_and_count_once_a_collector_records_an_attempt(
        app: Flask, runner: Any, client: Any, users: dict[str, int], tmp_path: Path) -> None:
    _import(runner, write_member_roster(tmp_path / "r.xlsx", _roster()))
    started = _start(runner)
    assert "其中 2 名党员信息待补充" in started.output
    assert sorted(_cards(app)) == ["测试员1", "测试员2"]
    lost_id = _member_id(app, "测试员3")
    with app.app_context():
        campaign = find_campaign()
        campaign_id = campaign.id
        assert lost_id in progress(campaign).unfinished  # not accounted for yet
        with pytest.raises(ServiceError, match="待补充（缺少公民身份证号、学历）"):
            workflow.submit(campaign_id, lost_id, actor="test")
        db.session.rollback()

    sign_in(client, users["collector"])
    listing = client.get("/admin/collector").get_data(as_text=True)
    assert "测试员3" in listing and "测试员4" in listing and "待补充" in listing
    page = client.get(f"/admin/collector/members/{lost_id}").get_data(as_text=True)
    assert "缺少公民身份证号、学历" in page and 'id="unreachable-form"' in page
    refused = post(client, f"/admin/collector/members/{lost_id}/unreachable",
                   {"campaign_id": campaign_id, "note": " "})
    assert refused.status_code == 400
    done = post(client, f"/admin/collector/members/{lost_id}/unreachable",
                {"campaign_id": campaign_id, "note": "电话空号，走访原住址无人，邻居称已外出多年"})
    assert done.status_code == 302
    with app.app_context():
        cm = db.session.scalars(select(CampaignMember).where(
            CampaignMember.member_id == lost_id)).one()
        assert (cm.state, cm.card_id) == ("unreachable", None)
        assert lost_id not in progress(find_campaign()).unfinished
    assert "测试员3" not in _cards(app)


def test_to_supplement_members_show_in_the_review_and_on_the_branch_pages(
        app: Flask, runner: Any, client: Any, users: dict[str, int], tmp_path: Path) -> None:
    _import(runner, write_member_roster(tmp_path / "r.xlsx", _roster()))
    with app.app_context():
        report = build_report(None, today_local())
    found = {f.member_name: f for f in report.problems if f.rule == "MEMBER_TO_SUPPLEMENT"}
    assert sorted(found) == ["测试员3", "测试员4"] and found["测试员3"].category == "待补充"
    assert "待补充：公民身份证号、学历" in found["测试员3"].message
    assert "联系电话" in found["测试员4"].message and report.total.to_supplement == 2
    sign_in(client, users["committee"])
    assert "待补充党员 2 人" in client.get("/admin/").get_data(as_text=True)
    review = client.get("/admin/review", query_string={"category": "待补充"}).get_data(as_text=True)
    assert '<div class="n" id="to-supplement">2</div>' in review and "测试员3" in review
    listing = client.get("/admin/members?quality=to_supplement").get_data(as_text=True)
    assert "测试员3" in listing and "测试员4" in listing and "测试员1" not in listing
    page = client.get(f"/admin/members/{_member_id(app, '测试员3')}").get_data(as_text=True)
    assert "尚缺：公民身份证号、学历" in page


def test_a_later_import_fills_the_gaps_and_the_card_goes_out(
        app: Flask, runner: Any, users: dict[str, int], tmp_path: Path) -> None:
    _import(runner, write_member_roster(tmp_path / "r.xlsx", _roster()))
    _start(runner)
    lost_id = _member_id(app, "测试员3")
    result = _import(runner, write_member_roster(tmp_path / "full.xlsx", [_lost(3), _lost(4)]))
    assert "新增 0 人" in result.output and "更新 2 人" in result.output
    assert _members(app)["测试员3"] == (False, None) and _member_id(app, "测试员3") == lost_id
    with app.app_context():
        assert db.session.get(Member, lost_id).id_number == person(3)[ID]
        cm = db.session.scalars(select(CampaignMember).where(
            CampaignMember.member_id == lost_id)).one()
        assert cm.state == "pending" and cm.card_id is not None and cm.note is None
    assert _cards(app)["测试员3"] == 1 and _cards(app)["测试员4"] == 1
    # a row without the number no longer erases the one now on record
    _import(runner, write_member_roster(tmp_path / "again.xlsx", [_lost(3, blank=(ID,))]))
    with app.app_context():
        assert db.session.get(Member, lost_id).id_number == person(3)[ID]


def test_an_edit_fills_the_gaps_and_the_card_goes_out(
        app: Flask, runner: Any, client: Any, users: dict[str, int], tmp_path: Path) -> None:
    _import(runner, write_member_roster(tmp_path / "r.xlsx", _roster()))
    _start(runner)
    member_id = _member_id(app, "测试员4")
    with app.app_context():
        m = db.session.get(Member, member_id)
        form = {"name": m.name, "sex": m.sex, "ethnicity": m.ethnicity,
                "id_number": m.id_number, "birth_date": m.birth_date.isoformat(),
                "education": m.education, "member_type": m.member_type,
                "joined_on": m.joined_on.isoformat(), "full_on": m.full_on.isoformat(),
                "job": "011", "mobile": "13900000004", "address": "湖南省邵阳县塘渡口镇新建路4号",
                "party_status": "停止党籍", "is_lost": "是", "lost_since": "2019-03",
                "is_floating": "否", "basis": "走访核实"}
    sign_in(client, users["committee"])
    assert post(client, f"/admin/members/{member_id}/edit", form).status_code == 302
    assert _members(app)["测试员4"] == (False, None)
    assert _cards(app).get("测试员4") == 1

    # the number given at last to the member who had none is still unique
    lost_id = _member_id(app, "测试员3")
    form.update(name="测试员3", id_number=person(1)[ID], education="21", job="011",
                address="湖南省邵阳县塘渡口镇新建路3号", party_status="正常", is_lost="是")
    refused = post(client, f"/admin/members/{lost_id}/edit", form)
    assert "属重复采集，未保存" in refused.get_data(as_text=True)
    assert _members(app)["测试员3"] == (True, ["id_number", "education"])
