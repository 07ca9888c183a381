"""Exports: 附件4/附件3 workbooks (encrypted for 报送), printed forms and evidence bundles, each
limited to the user's subtree and written to the audit log."""

from __future__ import annotations

import importlib.util
import io
import zipfile
from typing import Any

import pytest
import pyzipper
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from service.extensions import db
from service.models import AuditLog, Member
from service.records.xlsx_crypto import decrypt_workbook
from testkit.admin import World, make_world, post, sign_in


@pytest.fixture
def world(app: Flask) -> World:
    return make_world(app, members_per_branch=3)


def _audits(app: Flask, action: str) -> list[AuditLog]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))
        for r in rows:
            db.session.expunge(r)
        return rows


def _names(data: bytes) -> list[str]:
    ws = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [str(r[1]) for r in ws.iter_rows(min_row=6, values_only=True) if r[1] and r[0]]


def _member_names(app: Flask, ids: list[int]) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Member.name).where(Member.id.in_(ids))))


def test_committee_exports_its_whole_roster(app: Flask, client: Any, world: World) -> None:
    sign_in(client, world.users["committee_admin"])
    r = post(client, "/admin/exports/members.xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in r.headers["Content-Disposition"]
    names = set(_names(r.data))
    assert names == _member_names(app, world.members_b1 + world.members_b2)
    [entry] = _audits(app, "members.export")
    assert entry.detail["count"] == 6 and entry.actor == f"admin:{world.users['committee_admin']}"
    assert entry.detail["encrypted"] is False


def test_branch_admin_exports_only_their_branch(app: Flask, client: Any, world: World) -> None:
    sign_in(client, world.users["branch_admin"])
    r = post(client, "/admin/exports/members.xlsx")
    assert set(_names(r.data)) == _member_names(app, world.members_b1)
    other = post(client, "/admin/exports/members.xlsx", {"org_id": world.branch_ids[1]})
    assert other.status_code == 404
    root = post(client, "/admin/exports/members.xlsx", {"org_id": world.root_id})
    assert root.status_code == 404
    assert len(_audits(app, "members.export")) == 1  # refusals export nothing


def test_encrypted_export_for_submission(app: Flask, client: Any, world: World) -> None:
    sign_in(client, world.users["committee_admin"])
    r = post(client, "/admin/exports/orgs.xlsx", {"password": "bs-2017", "password2": "bs-2017"})
    assert r.status_code == 200
    assert not zipfile.is_zipfile(io.BytesIO(r.data))  # an OLE container, not a plain .xlsx
    plain = io.BytesIO()
    decrypt_workbook(io.BytesIO(r.data), plain, "bs-2017")
    plain.seek(0)
    assert load_workbook(plain).worksheets[0].max_row >= 6
    [entry] = _audits(app, "orgs.export")
    assert entry.detail["encrypted"] is True and entry.detail["count"] == 3
    mismatch = post(client, "/admin/exports/orgs.xlsx",
                    {"password": "bs-2017", "password2": "bs-2018"})
    assert mismatch.status_code == 400 and "不一致" in mismatch.get_data(as_text=True)


def test_member_form_pdf_in_scope_only(app: Flask, client: Any, world: World) -> None:
    sign_in(client, world.users["branch_admin"])
    r = post(client, "/admin/exports/forms/member.pdf", {"member": world.members_b1[0]})
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert post(client, "/admin/exports/forms/member.pdf",
                {"member": world.members_b2[0]}).status_code == 404
    [entry] = _audits(app, "export.form")
    assert entry.target_type == "member" and entry.target_id == str(world.members_b1[0])


def test_branch_forms_and_org_form(app: Flask, client: Any, world: World) -> None:
    sign_in(client, world.users["committee_admin"])
    r = post(client, "/admin/exports/forms/branch.pdf", {"org_id": world.branch_ids[1]})
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    r = post(client, "/admin/exports/forms/org.pdf", {"org_id": world.root_id})
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    forms = _audits(app, "export.form")
    assert [(e.detail["form"], e.target_id) for e in forms] == [
        ("附件2", str(world.branch_ids[1])), ("附件1", str(world.root_id))]
    assert forms[0].detail["pages"] == 3


def test_evidence_bundle_per_org_and_member(app: Flask, client: Any, world: World) -> None:
    sign_in(client, world.users["committee_admin"])
    # the cards inside hold full ID numbers: no bundle without a password
    r = post(client, "/admin/exports/evidence.zip", {"org_id": world.branch_ids[0]})
    assert r.status_code == 400 and "证据包密码" in r.get_data(as_text=True)
    pw = {"password": "bundle-pw-1", "password2": "bundle-pw-1"}
    r = post(client, "/admin/exports/evidence.zip", {"org_id": world.branch_ids[0], **pw})
    assert r.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(r.data)).namelist()
    assert {"entries.json", "chain.json", "verify.py", "README.md"} <= set(names)
    with pyzipper.AESZipFile(io.BytesIO(r.data)) as zf:
        zf.setpassword(b"bundle-pw-1")
        assert zf.read("verify.py").startswith(b'"""Check an evidence bundle')
    r = post(client, "/admin/exports/evidence.zip", {"member": str(world.members_b2[0]), **pw})
    assert r.status_code == 200
    audits = _audits(app, "evidence.export")
    assert [(a.target_type, a.target_id) for a in audits] == [
        ("org", str(world.branch_ids[0])), ("member", str(world.members_b2[0]))]


def test_collectors_do_not_export(client: Any, world: World) -> None:
    sign_in(client, world.users["collector"])
    assert client.get("/admin/exports").status_code == 403
    assert post(client, "/admin/exports/members.xlsx").status_code == 403


def test_export_page_and_poster_fallback(client: Any, world: World) -> None:
    sign_in(client, world.users["branch_admin"])
    page = client.get("/admin/exports").get_data(as_text=True)
    assert "党员基本信息汇总表（附件4）" in page and "证据包" in page
    assert "中共测试工作流第2支部委员会" not in page  # the picker holds only their own org
    posters = client.get("/admin/exports/posters").get_data(as_text=True)
    assert ("功能待接入" in posters) == (importlib.util.find_spec("service.forms.poster") is None)
