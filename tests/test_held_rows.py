"""Rows held for correction (待修正): an import keeps rows whose values break content rules,
sends them no card, shows them first and in the 回头看, and releases them once fixed."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from xlsx_helpers import BRANCH_A, BRANCH_B, COMMITTEE, person, write_member_roster

from service.clock import today_local
from service.extensions import db
from service.models import CampaignMember, Card, Member
from service.quality.report import build_report
from service.roster.members import find_by_id_number
from testkit.admin import make_user, post, sign_in
from testkit.factories import make_org

FULL = "转为正式\n党员日期"


@pytest.fixture
def admin(app: Flask) -> int:
    with app.app_context():
        committee = make_org(name=COMMITTEE)
        make_org(committee, name=BRANCH_A)
        make_org(committee, name=BRANCH_B)
        user = make_user("committee_admin", committee)
        db.session.commit()
        return user.id


def _roster_with_mistakes() -> list[dict[str, Any]]:
    """Rows as an old system exports them: two wrong 转正 dates and three code typos."""
    rows = [person(n) for n in range(1, 9)]
    rows[3][FULL] = "2000-07-01"  # before joining (2001-07-01)
    rows[4][FULL] = "2002-01-01"  # half a year of probation
    rows[5]["民族"] = "汉组"  # not a 民族
    rows[6]["学历"] = "99"  # no such code
    rows[7]["工作岗位"] = "0999"  # no such code
    return rows


def _held(app: Flask) -> dict[str, list[str]]:
    """Return {name: [rules]} of the held members."""
    with app.app_context():
        return {m.name: [p["rule"] for p in m.held_problems or []]
                for m in db.session.scalars(select(Member).where(Member.held.is_(True)))}


def _cards(app: Flask) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(
            select(Member.name, func.count(Card.id)).join(Card, Card.member_id == Member.id)
            .group_by(Member.name)).all())


def _start_campaign(runner: Any) -> Any:
    deadline = (today_local() + timedelta(days=30)).isoformat()
    result = runner.invoke(args=["campaign", "start", "--org", COMMITTEE, "--deadline", deadline])
    assert result.exit_code == 0, result.output
    return result


def test_hold_stores_every_row_and_the_bad_ones_get_no_card_until_edited(
        app: Flask, runner: Any, client: Any, admin: int, tmp_path: Path) -> None:
    path = write_member_roster(tmp_path / "old.xlsx", _roster_with_mistakes())
    result = runner.invoke(args=["members", "import", str(path), "--hold-invalid"])
    assert result.exit_code == 0, result.output
    assert "新增 8 人" in result.output and "5 人暂存为待修正（不发确认卡）" in result.output
    held = _held(app)
    assert sorted(held) == ["测试员4", "测试员5", "测试员6", "测试员7", "测试员8"]
    assert held["测试员5"] == ["PROBATION_LT_1_YEAR"]
    assert all(held.values())
    with app.app_context():
        m = db.session.scalars(select(Member).where(Member.name == "测试员6")).one()
        assert m.ethnicity is None and "汉组" in m.held_problems[0]["message"]

    started = _start_campaign(runner)
    assert "共 3 名党员" in started.output and "另有 5 名党员待修正" in started.output
    assert sorted(_cards(app)) == ["测试员1", "测试员2", "测试员3"]

    sign_in(client, admin)
    listing = client.get("/admin/members").get_data(as_text=True)
    assert listing.index("测试员4") < listing.index("测试员1")  # 待修正 first
    assert "待修正党员 5 人" in client.get("/admin/").get_data(as_text=True)
    with app.app_context():
        member = db.session.scalars(select(Member).where(Member.name == "测试员4")).one()
        form = {"name": member.name, "sex": member.sex, "ethnicity": member.ethnicity,
                "birth_date": member.birth_date.isoformat(), "education": member.education,
                "member_type": member.member_type, "joined_on": member.joined_on.isoformat(),
                "full_on": "2002-07-01", "job": member.job, "address": member.address,
                "party_status": member.party_status, "is_lost": "否", "is_floating": "否",
                "basis": "党员档案"}
        member_id = member.id
    page = client.get(f"/admin/members/{member_id}").get_data(as_text=True)
    assert "待修正" in page and "转为正式党员日期" in page
    done = post(client, f"/admin/members/{member_id}/edit", form)
    assert done.status_code == 302
    assert "测试员4" not in _held(app)
    assert _cards(app).get("测试员4") == 1  # the open campaign took it: a card went out
    with app.app_context():
        cm = db.session.scalars(select(CampaignMember).where(
            CampaignMember.member_id == member_id)).one()
        assert cm.state == "pending"


def test_a_corrected_reimport_releases_held_members_even_with_a_fixed_id_number(
        app: Flask, runner: Any, admin: int, tmp_path: Path) -> None:
    rows = [person(n) for n in range(1, 4)]
    good_id = rows[2]["公民身份证号"]
    rows[2]["公民身份证号"] = good_id[:17] + ("0" if good_id[17] != "0" else "1")  # checksum typo
    rows[1][FULL] = "2002-01-01"
    path = write_member_roster(tmp_path / "first.xlsx", rows)
    assert runner.invoke(args=["members", "import", str(path), "--hold-invalid"]).exit_code == 0
    assert sorted(_held(app)) == ["测试员2", "测试员3"] and _held(app)["测试员3"] == ["ID_CHECKSUM"]
    _start_campaign(runner)

    fixed = write_member_roster(tmp_path / "fixed.xlsx", [person(n) for n in range(1, 4)])
    result = runner.invoke(args=["members", "import", str(fixed)])
    assert result.exit_code == 0, result.output
    assert "新增 0 人" in result.output and "2 人已改正、解除待修正" in result.output
    assert _held(app) == {}
    with app.app_context():
        assert db.session.scalar(select(func.count(Member.id))) == 3
        assert find_by_id_number(good_id).name == "测试员3"  # the same member, number fixed
    assert _cards(app) == {"测试员1": 1, "测试员2": 1, "测试员3": 1}


def test_rows_that_cannot_say_who_or_where_are_still_refused(
        app: Flask, runner: Any, admin: int, tmp_path: Path) -> None:
    rows = [person(n) for n in range(1, 7)]
    rows[1]["所在党支部"] = "中共不存在的支部委员会"
    rows[2]["公民身份证号"] = None
    rows[3]["公民身份证号"] = "43052319750409"  # too short to be anyone's number
    rows[4]["公民身份证号"] = rows[0]["公民身份证号"]  # 重复采集
    rows[5][FULL] = "2002-01-01"  # held
    path = write_member_roster(tmp_path / "r.xlsx", rows)
    result = runner.invoke(args=["members", "import", str(path), "--hold-invalid"])
    assert result.exit_code == 0, result.output
    assert "新增 2 人" in result.output and "错误 4 行" in result.output
    for row in (7, 8, 9, 10):
        assert f"第{row}行" in result.output
    assert list(_held(app)) == ["测试员6"]


def test_a_bad_row_never_overwrites_a_valid_member(app: Flask, runner: Any, admin: int,
                                                   tmp_path: Path) -> None:
    path = write_member_roster(tmp_path / "good.xlsx", [person(1)])
    assert runner.invoke(args=["members", "import", str(path)]).exit_code == 0
    bad = person(1)
    bad[FULL] = "2002-01-01"
    path = write_member_roster(tmp_path / "bad.xlsx", [bad])
    result = runner.invoke(args=["members", "import", str(path), "--hold-invalid"])
    assert "该党员已在系统中且信息无误，本行有错误，未覆盖原记录" in result.output
    with app.app_context():
        m = db.session.scalars(select(Member)).one()
        assert (m.held, m.full_on.isoformat()) == (False, "2002-07-01")
    both = runner.invoke(args=["members", "import", str(path), "--hold-invalid",
                               "--skip-invalid"])
    assert both.exit_code != 0 and "只能选一个" in both.output


def test_held_members_are_in_the_review_with_what_the_import_found(
        app: Flask, runner: Any, admin: int, tmp_path: Path) -> None:
    path = write_member_roster(tmp_path / "old.xlsx", _roster_with_mistakes())
    assert runner.invoke(args=["members", "import", str(path), "--hold-invalid"]).exit_code == 0
    with app.app_context():
        report = build_report(None, today_local())
    held = [f for f in report.problems if f.rule == "MEMBER_HELD"]
    assert sorted(f.member_name for f in held) == [f"测试员{n}" for n in range(4, 9)]
    assert held[0].category == "导入待修正"
    typo = [f for f in report.problems if f.member_name == "测试员6" and "汉组" in f.message]
    assert typo and typo[0].severity == "error"
    assert report.total.held == 5


def test_the_web_import_offers_the_hold_choice(app: Flask, client: Any, admin: int,
                                               tmp_path: Path) -> None:
    sign_in(client, admin)
    page = client.get("/admin/imports").get_data(as_text=True)
    assert 'value="hold"' in page and 'value="skip"' in page and 'value="all"' in page
    path = write_member_roster(tmp_path / "old.xlsx", _roster_with_mistakes())
    data = {"kind": "members", "mode": "hold",
            "file": (io.BytesIO(path.read_bytes()), path.name)}
    response = post(client, "/admin/imports", data, content_type="multipart/form-data")
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    app.extensions["import_threads"][job_id].join(timeout=60)
    status = client.get(f"/admin/api/imports/{job_id}").get_json()
    assert (status["status"], status["created"], status["error_rows"]) == ("done", 8, 0)
    assert "5 人暂存为待修正" in status["message"] and status["has_report"]
    assert len(_held(app)) == 5
    orgs = {"kind": "orgs", "mode": "hold", "file": (io.BytesIO(path.read_bytes()), "a3.xlsx")}
    refused = post(client, "/admin/imports", orgs, content_type="multipart/form-data")
    assert "只适用于党员" in client.get(refused.headers["Location"]).get_data(as_text=True)


def test_held_rows_imported_into_an_open_campaign_get_no_card(
        app: Flask, runner: Any, admin: int, tmp_path: Path) -> None:
    first = write_member_roster(tmp_path / "first.xlsx", [person(n) for n in range(20, 23)])
    assert runner.invoke(args=["members", "import", str(first)]).exit_code == 0
    _start_campaign(runner)
    path = write_member_roster(tmp_path / "old.xlsx", _roster_with_mistakes())
    result = runner.invoke(args=["members", "import", str(path), "--hold-invalid"])
    assert result.exit_code == 0, result.output
    cards = _cards(app)
    assert sorted(cards) == sorted(f"测试员{n}" for n in (1, 2, 3, 20, 21, 22))
    assert not set(cards) & set(_held(app))


def test_a_namesake_born_another_day_is_not_taken_for_a_mistyped_number(
        app: Flask, runner: Any, admin: int, tmp_path: Path) -> None:
    from datetime import date

    row = person(1)
    row["公民身份证号"] = row["公民身份证号"][:17] + (
        "0" if row["公民身份证号"][17] != "0" else "1")
    path = write_member_roster(tmp_path / "first.xlsx", [row])
    assert runner.invoke(args=["members", "import", str(path), "--hold-invalid"]).exit_code == 0
    namesake = person(2, born=date(1980, 1, 2))
    namesake["姓名"] = "测试员1"
    path = write_member_roster(tmp_path / "second.xlsx", [namesake])
    result = runner.invoke(args=["members", "import", str(path)])
    assert "新增 1 人" in result.output, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Member.id))) == 2
    assert list(_held(app)) == ["测试员1"]
