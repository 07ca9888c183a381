"""The 回头看 page: same rules as `flask quality report`, per scope, by category, downloadable."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from service.clock import today_local
from service.extensions import db
from service.models import AuditLog, Member, Org
from service.quality.report import build_report
from testkit.admin import make_world, post, sign_in


def _break_a_member(app: Flask, member_id: int) -> None:
    with app.app_context():
        member = db.session.get(Member, member_id)
        assert member is not None
        member.address = None  # 采集信息不完整
        db.session.commit()


def test_page_matches_the_cli_report_and_filters(app: Flask, client: Any) -> None:
    w = make_world(app, members_per_branch=2)
    _break_a_member(app, w.members_b2[0])
    sign_in(client, w.users["committee_admin"])
    data = client.get("/admin/api/review").get_json()
    with app.app_context():
        root = db.session.get(Org, w.root_id)
        expected = build_report(root, today_local())
    assert data["total"]["errors"] == expected.total.errors
    assert data["by_category"] == expected.by_category()
    assert len(data["problems"]) == len(expected.problems) > 0
    page = client.get("/admin/review").get_data(as_text=True)
    assert "采集信息不完整" in page and "回头看" in page
    only = client.get("/admin/api/review", query_string={"category": "漏采"}).get_json()
    assert all(p["category"] == "漏采" for p in only["problems"])
    assert client.get("/admin/review", query_string={"category": "无此类"}).status_code == 400


def test_branch_admin_reviews_only_their_branch(app: Flask, client: Any) -> None:
    w = make_world(app, members_per_branch=2)
    _break_a_member(app, w.members_b2[0])
    sign_in(client, w.users["branch_admin"])
    data = client.get("/admin/api/review").get_json()
    assert {o["org_id"] for o in data["orgs"]} == {w.branch_ids[0]}
    assert all(p["member_id"] not in w.members_b2 for p in data["problems"])
    assert client.get("/admin/review", query_string={"org_id": w.branch_ids[1]}).status_code == 404


def test_download_is_the_cli_workbook_and_is_audited(app: Flask, client: Any) -> None:
    w = make_world(app, members_per_branch=2)
    sign_in(client, w.users["org_department"])
    r = post(client, "/admin/review/report.xlsx", {"org_id": w.root_id})
    assert r.status_code == 200
    assert load_workbook(io.BytesIO(r.data)).sheetnames[0] == "汇总"
    with app.app_context():
        entry = db.session.scalars(select(AuditLog).where(
            AuditLog.action == "quality.report")).one()
        assert entry.detail["output"] == "xlsx" and entry.target_id == str(w.root_id)


def test_collectors_have_no_review(app: Flask, client: Any) -> None:
    w = make_world(app)
    sign_in(client, w.users["collector"])
    assert client.get("/admin/review").status_code == 403
