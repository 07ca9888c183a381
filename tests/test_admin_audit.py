"""The audit log viewer: filters, paging, and who may read which entries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from service import audit
from service.clock import now_utc, today_local
from service.extensions import db
from service.models import AuditLog
from testkit.admin import login, make_world, post, sign_in


def _seed(app: Flask, w: Any) -> None:
    with app.app_context():
        audit.record("member.edit", actor=f"admin:{w.users['branch_admin']}",
                     target_type="member", target_id=w.members_b1[0], field="address")
        audit.record("member.edit", actor=f"admin:{w.users['branch_admin_2']}",
                     target_type="member", target_id=w.members_b2[0], field="address")
        old = audit.record("members.export", actor="cli", target_type="org", target_id=w.root_id)
        old.at = now_utc() - timedelta(days=10)
        db.session.commit()


def test_filters_by_actor_action_target_and_date(app: Flask, client: Any) -> None:
    w = make_world(app)
    _seed(app, w)
    login(client, "org_department")  # a real sign-in is itself on record
    data = client.get("/admin/api/audit").get_json()
    actions = [e["action"] for e in data["entries"]]
    assert "login" in actions and actions.count("member.edit") == 2
    by_user = client.get("/admin/api/audit", query_string={"actor": "branch_admin"}).get_json()
    assert [e["target_id"] for e in by_user["entries"]] == [str(w.members_b1[0])]
    by_target = client.get("/admin/api/audit", query_string={
        "target_type": "member", "target_id": str(w.members_b2[0])}).get_json()
    assert [e["actor"] for e in by_target["entries"]] == [f"admin:{w.users['branch_admin_2']}"]
    today = today_local().isoformat()
    recent = client.get("/admin/api/audit", query_string={"since": today}).get_json()
    assert "members.export" not in [e["action"] for e in recent["entries"]]
    older = client.get("/admin/api/audit", query_string={
        "action": "members.export",
        "until": (today_local() - timedelta(days=5)).isoformat()}).get_json()
    assert len(older["entries"]) == 1
    assert client.get("/admin/audit", query_string={"since": "30/06/2017"}).status_code == 400
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "member.edit" in page and "审计日志" in page


def test_paging(app: Flask, make_app: Any) -> None:
    app = make_app(ADMIN_AUDIT_PAGE_SIZE=3)
    w = make_world(app)
    with app.app_context():
        for i in range(7):
            audit.record("demo", actor="system", n=i)
        db.session.commit()
    client = app.test_client()
    sign_in(client, w.users["org_department"])
    first = client.get("/admin/api/audit", query_string={"action": "demo"}).get_json()
    third = client.get("/admin/api/audit", query_string={"action": "demo", "page": 3}).get_json()
    assert [e["detail"]["n"] for e in first["entries"]] == [6, 5, 4] and first["more"]
    assert [e["detail"]["n"] for e in third["entries"]] == [0] and not third["more"]


def test_committee_admin_sees_their_subtree_only(app: Flask, client: Any) -> None:
    w = make_world(app)
    _seed(app, w)
    with app.app_context():
        # Someone outside the committee, about an org outside it: not theirs to read.
        audit.record("orgs.export", actor="admin:999999", target_type="org", target_id=999999)
        db.session.commit()
    sign_in(client, w.users["committee_admin"])
    entries = client.get("/admin/api/audit").get_json()["entries"]
    assert {e["action"] for e in entries} >= {"member.edit", "members.export"}
    assert all(e["actor"] != "admin:999999" for e in entries)


def test_branch_staff_cannot_read_the_log(app: Flask, client: Any) -> None:
    w = make_world(app)
    for role in ("branch_admin", "collector"):
        sign_in(client, w.users[role])
        assert client.get("/admin/audit").status_code == 403
        assert client.get("/admin/api/audit").status_code == 403


def test_every_export_is_in_the_log(app: Flask, client: Any) -> None:
    w = make_world(app)
    sign_in(client, w.users["committee_admin"])
    post(client, "/admin/exports/members.xlsx")
    with app.app_context():
        assert db.session.query(AuditLog).filter_by(action="members.export").count() == 1
    entries = client.get("/admin/api/audit", query_string={"action": "members.export"}).get_json()
    assert entries["entries"][0]["detail"]["count"] == 6


def test_org_department_entries_show_only_where_the_org_touched_is_in_scope(
        app: Flask, client: Any) -> None:
    # The department account sits at the committee's own org here, inside the committee
    # admin's scope: its entries still show there only by the org they touched.
    w = make_world(app)
    dept = f"admin:{w.users['org_department']}"
    login(client, "org_department")
    with app.app_context():
        audit.record("members.export", actor=dept, target_type="org", scope="全部")
        audit.record("sampling.draw", actor=dept, target_type="sampling_run", target_id=1,
                     org=999999)
        audit.record("member.view_id_number", actor=dept, target_type="member",
                     target_id=w.members_b1[0])
        audit.record("export.form", actor=dept, target_type="org", target_id=w.branch_ids[1])
        audit.record("member.edit", actor=f"admin:{w.users['branch_admin']}",
                     target_type="member", target_id=w.members_b1[1])
        db.session.commit()
        assert db.session.scalar(select(AuditLog.org_id).where(
            AuditLog.action == "member.view_id_number")) == w.branch_ids[0]
    sign_in(client, w.users["committee_admin"])
    entries = client.get("/admin/api/audit").get_json()["entries"]
    seeded = {"login", "members.export", "sampling.draw", "member.view_id_number", "export.form"}
    theirs = {e["action"] for e in entries if e["actor"] == dept} & seeded
    assert theirs == {"member.view_id_number", "export.form"}
    assert "member.edit" in {e["action"] for e in entries}  # the committee's own staff
    sign_in(client, w.users["org_department"])
    mine = {e["action"] for e in client.get("/admin/api/audit").get_json()["entries"]
            if e["actor"] == dept}
    assert mine >= {"login", "members.export", "sampling.draw", "member.view_id_number"}
