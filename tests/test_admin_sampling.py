"""Sampling pages: an inspector draws a recorded sample, checks records, reads the score."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from service.extensions import db
from service.models import Org, SamplingRun, Unit
from testkit.admin import make_world, post, sign_in


def _draw(client: Any, org_id: int, seed: str = "2017-07-01") -> int:
    r = post(client, "/admin/sampling", {"org_id": org_id, "seed": seed})
    assert r.status_code == 302, r.get_data(as_text=True)
    return int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def test_inspector_draws_checks_and_closes(app: Flask, client: Any) -> None:
    w = make_world(app, members_per_branch=3)
    sign_in(client, w.users["org_department"])
    run_id = _draw(client, w.root_id)
    data = client.get(f"/admin/api/sampling/{run_id}").get_json()
    assert (data["branch_size"], data["member_size"], data["seed"]) == (2, 5, "2017-07-01")
    page = client.get(f"/admin/sampling/{run_id}").get_data(as_text=True)
    assert "2017-07-01" in page and "评分表" in page
    with app.app_context():
        run = db.session.get(SamplingRun, run_id)
        assert run is not None
        items = [(i.id, i.kind) for i in run.items]
    for item_id, kind in items:
        nos = range(1, 8) if kind == "branch" else range(8, 17)
        form = {f"result_{n}": "pass" for n in nos}
        if item_id == items[0][0]:
            form.update(result_1="fail", problems_1="2", reason_1="书记未填写")
        r = post(client, f"/admin/sampling/{run_id}/items/{item_id}", form)
        assert r.status_code == 302
    data = client.get(f"/admin/api/sampling/{run_id}").get_json()
    assert data["checked_records"] == data["records"] == 7
    assert data["earned"] == 78 and data["score"] == 97.5 and data["grade"] == "优秀"
    assert post(client, f"/admin/sampling/{run_id}/close").status_code == 302
    assert client.get(f"/admin/api/sampling/{run_id}").get_json()["closed"] is True
    r = post(client, f"/admin/sampling/{run_id}/items/{items[0][0]}", {"result_1": "pass"},
             follow_redirects=True)
    assert "已结束" in r.get_data(as_text=True)


def test_fail_without_reason_is_refused_and_nothing_saved(app: Flask, client: Any) -> None:
    w = make_world(app, members_per_branch=1)
    sign_in(client, w.users["org_department"])
    run_id = _draw(client, w.root_id)
    with app.app_context():
        item_id = db.session.get(SamplingRun, run_id).items[0].id  # type: ignore[union-attr]
    r = post(client, f"/admin/sampling/{run_id}/items/{item_id}",
             {"result_1": "pass", "result_2": "fail", "problems_2": "1"}, follow_redirects=True)
    assert "请填写原因" in r.get_data(as_text=True)
    assert client.get(f"/admin/api/sampling/{run_id}").get_json()["checked_records"] == 0
    with app.app_context():
        assert db.session.get(SamplingRun, run_id).items[0].checks == []  # type: ignore[union-attr]


def test_same_seed_same_sample_through_the_page(app: Flask, client: Any) -> None:
    w = make_world(app, members_per_branch=8)  # 16 members: 10 drawn
    sign_in(client, w.users["org_department"])
    a, b, c = (_draw(client, w.root_id, seed) for seed in ("x", "x", "y"))
    with app.app_context():
        runs = {r.id: [(i.kind, i.member_id) for i in r.items]
                for r in db.session.scalars(select(SamplingRun))}
    assert runs[a] == runs[b] and runs[a] != runs[c]


def test_only_inspectors_sample(app: Flask, client: Any) -> None:
    w = make_world(app)
    for role in ("committee_admin", "branch_admin", "collector"):
        sign_in(client, w.users[role])
        assert client.get("/admin/sampling").status_code == 403
        assert post(client, "/admin/sampling", {"org_id": w.root_id}).status_code == 403


def test_the_organisation_department_is_offered_the_committee_draw(app: Flask, client: Any
                                                                  ) -> None:
    w = make_world(app, members_per_branch=3)
    sign_in(client, w.users["org_department"])
    page = client.get("/admin/sampling").get_data(as_text=True)
    assert "抽取基层党委" in page and "不少于基层党委总数的5%" in page
    form = client.get("/admin/sampling/committees").get_data(as_text=True)
    assert 'action="/admin/sampling/committees"' in form
    r = post(client, "/admin/sampling/committees", {"org_id": "", "seed": "s"})
    assert r.status_code == 302, r.get_data(as_text=True)
    run_id = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    data = client.get(f"/admin/api/sampling/{run_id}").get_json()
    assert (data["committee_total"], data["committee_size"]) == (1, 1)
    assert data["committees"] == [w.root_id]
    shown = client.get(f"/admin/sampling/{run_id}").get_data(as_text=True)
    assert "抽取该党委的党支部和党员" in shown
    sheet = client.get(f"/admin/sampling/{_draw(client, w.root_id)}").get_data(as_text=True)
    assert shown != sheet and "不适用" in sheet and 'id="explanation"' in sheet
    sign_in(client, w.users["committee_admin"])
    assert post(client, "/admin/sampling/committees", {"org_id": ""}).status_code == 403
    assert client.get("/admin/sampling/committees").status_code == 403


def _items(app: Flask, run_id: int) -> list[tuple[int, str]]:
    with app.app_context():
        run = db.session.get(SamplingRun, run_id)
        assert run is not None
        return [(i.id, i.kind) for i in run.items]


def _check_all(client: Any, run_id: int, items: list[tuple[int, str]]) -> None:
    for item_id, kind in items:
        nos = range(1, 8) if kind == "branch" else range(8, 17)
        r = post(client, f"/admin/sampling/{run_id}/items/{item_id}",
                 {f"result_{n}": "pass" for n in nos})
        assert r.status_code == 302


def test_a_new_run_shows_not_started_until_records_are_checked(app: Flask, client: Any
                                                              ) -> None:
    w = make_world(app, members_per_branch=1)
    sign_in(client, w.users["org_department"])
    run_id = _draw(client, w.root_id)
    data = client.get(f"/admin/api/sampling/{run_id}").get_json()
    assert (data["grade"], data["status"], data["started"]) == ("未开始", "未开始", False)
    page = client.get(f"/admin/sampling/{run_id}").get_data(as_text=True)
    assert '<div class="n" id="grade">未开始</div>' in page
    assert '<div class="n" id="score">—</div>' in page and "优秀" not in page
    assert "尚未检查任何记录" in page
    assert "<td>未开始</td>" in client.get("/admin/sampling").get_data(as_text=True)
    items = _items(app, run_id)
    _check_all(client, run_id, items[:1])
    data = client.get(f"/admin/api/sampling/{run_id}").get_json()
    assert (data["grade"], data["status"], data["started"]) == ("优秀", "检查中", True)
    assert "<td>检查中</td>" in client.get("/admin/sampling").get_data(as_text=True)


def test_coded_values_show_their_names(app: Flask, client: Any) -> None:
    w = make_world(app, members_per_branch=1)
    with app.app_context():
        branch = db.session.get(Org, w.branch_ids[0])
        assert branch is not None
        branch.units.append(Unit(seq=1, name="测试单位", unit_type="13",
                                 party_org_status="13", unit_code="0"))
        db.session.commit()
    sign_in(client, w.users["org_department"])
    run_id = _draw(client, w.root_id)
    pages = {item_id: client.get(f"/admin/sampling/{run_id}/items/{item_id}")
             .get_data(as_text=True) for item_id, _ in _items(app, run_id)}
    member = next(p for p in pages.values() if "公民身份证号" in p)
    assert "汉族（01）" in member and "大学（21）" in member and "公务员（011）" in member
    unit = next(p for p in pages.values() if "测试单位" in p)
    assert "乡镇（13）" in unit and "建立党支部的（13）" in unit


def test_the_rule_text_names_the_source_notice_generically(app: Flask, client: Any) -> None:
    w = make_world(app, members_per_branch=1)
    sign_in(client, w.users["org_department"])
    page = client.get("/admin/sampling").get_data(as_text=True)
    assert "审核验收办法" in page and "陕西" not in page


def test_closing_is_refused_before_the_confirmation_is_asked(app: Flask, client: Any) -> None:
    w = make_world(app, members_per_branch=1)
    sign_in(client, w.users["org_department"])
    run_id = _draw(client, w.root_id)
    page = client.get(f"/admin/sampling/{run_id}").get_data(as_text=True)
    assert 'id="close-refused"' in page and "条抽查记录未检查完" in page
    assert 'id="close-form"' not in page and "确定结束本次抽查吗" not in page
    refused = post(client, f"/admin/sampling/{run_id}/close", follow_redirects=True)
    assert "未检查完，不能结束" in refused.get_data(as_text=True)
    assert client.get(f"/admin/api/sampling/{run_id}").get_json()["closed"] is False
    _check_all(client, run_id, _items(app, run_id))
    page = client.get(f"/admin/sampling/{run_id}").get_data(as_text=True)
    assert 'id="close-form"' in page and "确定结束本次抽查吗" in page
    assert 'id="close-refused"' not in page
