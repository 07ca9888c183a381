"""The admin's binding-poster download: a PDF for an org in scope, audited; refused outside."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from service.extensions import db
from service.models import AuditLog
from testkit.admin import make_world, post, sign_in


def _audits(app: Flask) -> list[tuple[str | None, str | None, dict[str, Any]]]:
    with app.app_context():
        return [(a.actor, a.target_id, dict(a.detail or {})) for a in db.session.scalars(
            select(AuditLog).where(AuditLog.action == "export.binding_poster"))]


def test_branch_admin_downloads_their_branch_poster(app: Flask, client: Any) -> None:
    w = make_world(app, members_per_branch=1)
    sign_in(client, w.users["branch_admin"])
    page = client.get("/admin/exports/posters").get_data(as_text=True)
    assert "功能待接入" not in page and "下载海报" in page
    assert "中共测试工作流第2支部委员会" not in page  # the picker holds only their own org
    r = post(client, "/admin/exports/posters/poster.pdf", {"org_id": w.branch_ids[0]})
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert "attachment" in r.headers["Content-Disposition"]
    assert r.data.startswith(b"%PDF") and len(r.data) > 1000
    [(actor, target, detail)] = _audits(app)
    assert actor == f"admin:{w.users['branch_admin']}" and target == str(w.branch_ids[0])
    assert detail["wechat"] is False  # no official account configured: the start page QR


def test_poster_outside_scope_is_refused(app: Flask, client: Any) -> None:
    w = make_world(app, members_per_branch=1)
    sign_in(client, w.users["branch_admin"])
    r = post(client, "/admin/exports/posters/poster.pdf", {"org_id": w.branch_ids[1]})
    assert r.status_code == 404 and not r.data.startswith(b"%PDF")
    sign_in(client, w.users["collector"])
    r = post(client, "/admin/exports/posters/poster.pdf", {"org_id": w.branch_ids[0]})
    assert r.status_code == 403
    assert _audits(app) == []


def test_committee_prints_a_poster_for_each_branch(app: Flask, client: Any) -> None:
    w = make_world(app, members_per_branch=1)
    sign_in(client, w.users["committee_admin"])
    for branch in w.branch_ids:
        r = post(client, "/admin/exports/posters/poster.pdf", {"org_id": branch})
        assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert sorted(t for _, t, _ in _audits(app)) == sorted(str(b) for b in w.branch_ids)
