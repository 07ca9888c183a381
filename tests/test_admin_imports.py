"""Web imports: upload, background check and write in one transaction, progress, error report,
scope (only into the uploader's orgs) and audit."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import func, select

from service.extensions import db
from service.models import AuditLog, ImportJob, Member
from service.records.error_report import REASON_HEADER
from testkit.admin import make_user, post, sign_in
from testkit.factories import make_org
from tests.xlsx_helpers import BRANCH_A, BRANCH_B, COMMITTEE, person, write_member_roster

OTHER = "中共测试县水利局委员会"
OTHER_BRANCH = "中共测试县水利局机关支部委员会"


@pytest.fixture
def users(app: Flask) -> dict[str, int]:
    with app.app_context():
        committee = make_org(name=COMMITTEE)
        branch = make_org(committee, name=BRANCH_A)
        make_org(committee, name=BRANCH_B)
        other = make_org(name=OTHER)
        make_org(other, name=OTHER_BRANCH)
        ids = {"committee_admin": make_user("committee_admin", committee).id,
               "other_admin": make_user("committee_admin", other).id,
               "branch_admin": make_user("branch_admin", branch).id}
        db.session.commit()
        return ids


def _upload(client: Any, path: Path, **form: Any) -> Any:
    data = {"kind": "members", "file": (io.BytesIO(path.read_bytes()), path.name), **form}
    return post(client, "/admin/imports", data, content_type="multipart/form-data")


def _finish(app: Flask, response: Any) -> ImportJob:
    """Wait for the job the upload started, and return it fresh from the database."""
    assert response.status_code == 302, response.get_data(as_text=True)
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    app.extensions["import_threads"][job_id].join(timeout=60)
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert job is not None
        db.session.expunge(job)
        return job


def _members(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Member.id))) or 0


def _actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def test_valid_roster_imports_in_the_background(app: Flask, client: Any, users: dict[str, int],
                                                tmp_path: Path) -> None:
    sign_in(client, users["committee_admin"])
    path = write_member_roster(tmp_path / "roster.xlsx", [person(n) for n in range(1, 6)])
    job = _finish(app, _upload(client, path))
    assert (job.status, job.created, job.rows, job.error_rows) == ("done", 5, 5, 0)
    assert _members(app) == 5
    assert "import.upload" in _actions(app) and "import.members" in _actions(app)
    status = client.get(f"/admin/api/imports/{job.id}").get_json()
    assert status["finished"] and status["percent"] == 100 and status["created"] == 5
    page = client.get(f"/admin/imports/{job.id}").get_data(as_text=True)
    assert "已完成" in page and 'role="progressbar"' in page
    # The upload held ID numbers: it is gone once the job ends.
    assert not (Path(app.instance_path) / "imports" / str(job.id) / "upload.xlsx").exists()


def test_one_bad_row_blocks_everything_and_gives_the_report(
        app: Flask, client: Any, users: dict[str, int], tmp_path: Path) -> None:
    sign_in(client, users["committee_admin"])
    rows = [person(n) for n in range(1, 4)]
    rows[1]["公民身份证号"] = "430523197504090000"  # bad check digit
    path = write_member_roster(tmp_path / "bad.xlsx", rows)
    job = _finish(app, _upload(client, path))
    assert (job.status, job.error_rows, job.has_report) == ("refused", 1, True)
    assert _members(app) == 0
    report = client.get(f"/admin/imports/{job.id}/errors.xlsx")
    assert report.status_code == 200
    ws = load_workbook(io.BytesIO(report.data)).active
    reasons = [c.value for c in ws[4] if c.value == REASON_HEADER]
    assert reasons and "公民身份证号" in (ws.cell(7, ws.max_column).value or "")
    assert "import.error_report" in _actions(app)


def test_skip_invalid_imports_the_rest(app: Flask, client: Any, users: dict[str, int],
                                       tmp_path: Path) -> None:
    sign_in(client, users["committee_admin"])
    rows = [person(n) for n in range(1, 4)]
    rows[0]["性别"] = "不详"
    path = write_member_roster(tmp_path / "some.xlsx", rows)
    job = _finish(app, _upload(client, path, skip_invalid="1"))
    assert (job.status, job.created, job.error_rows) == ("done", 2, 1)
    assert _members(app) == 2


def test_rows_for_a_branch_outside_scope_are_refused(
        app: Flask, client: Any, users: dict[str, int], tmp_path: Path) -> None:
    sign_in(client, users["committee_admin"])
    rows = [person(1), person(2)]
    rows[1]["所在党支部"] = OTHER_BRANCH
    path = write_member_roster(tmp_path / "mixed.xlsx", rows)
    job = _finish(app, _upload(client, path))
    assert job.status == "refused" and job.error_rows == 1
    assert _members(app) == 0
    report = client.get(f"/admin/imports/{job.id}/errors.xlsx")
    ws = load_workbook(io.BytesIO(report.data)).active
    assert "不在您的管理范围" in (ws.cell(7, ws.max_column).value or "")


def test_another_committee_cannot_see_the_job(app: Flask, client: Any, users: dict[str, int],
                                              tmp_path: Path) -> None:
    sign_in(client, users["committee_admin"])
    rows = [person(1)]
    rows[0]["性别"] = "不详"
    job = _finish(app, _upload(client, write_member_roster(tmp_path / "x.xlsx", rows)))
    sign_in(client, users["other_admin"])
    for url in (f"/admin/imports/{job.id}", f"/admin/api/imports/{job.id}",
                f"/admin/imports/{job.id}/errors.xlsx"):
        assert client.get(url).status_code == 404, url
    assert "x.xlsx" not in client.get("/admin/imports").get_data(as_text=True)


def test_branch_admins_may_not_import(client: Any, users: dict[str, int]) -> None:
    sign_in(client, users["branch_admin"])
    assert client.get("/admin/imports").status_code == 403
    assert post(client, "/admin/imports", {"kind": "members"}).status_code == 403


def test_not_a_workbook(app: Flask, client: Any, users: dict[str, int]) -> None:
    sign_in(client, users["committee_admin"])
    r = post(client, "/admin/imports", {"kind": "members",
                                        "file": (io.BytesIO(b"a,b"), "roster.csv")},
             content_type="multipart/form-data", follow_redirects=True)
    assert "不是 .xlsx 文件" in r.get_data(as_text=True)
    r = post(client, "/admin/imports", {"kind": "members",
                                        "file": (io.BytesIO(b"not a zip"), "fake.xlsx")},
             content_type="multipart/form-data")
    job = _finish(app, r)
    assert job.status == "refused" and "无法读取该文件" in (job.message or "")


NEW_BRANCH = ["中共测试县林业局新建支部委员会", "631", "与上级党组织相同", "张三", "李四",
              "13800138000", None, None, None, None]


def _upload_orgs(client: Any, path: Path) -> Any:
    data = {"kind": "orgs", "file": (io.BytesIO(path.read_bytes()), path.name)}
    return post(client, "/admin/imports", data, content_type="multipart/form-data")


def test_org_roster_adds_branches_under_the_users_committee(
        app: Flask, client: Any, users: dict[str, int], tmp_path: Path) -> None:
    from tests.xlsx_helpers import write_org_roster

    sign_in(client, users["committee_admin"])
    job = _finish(app, _upload_orgs(client, write_org_roster(tmp_path / "a3.xlsx", [NEW_BRANCH])))
    assert (job.status, job.created) == ("done", 1)
    assert f"已增加党组织 1 个，放在“{COMMITTEE}”之下：{NEW_BRANCH[0]}" in (job.message or "")
    with app.app_context():
        from service.models import Org

        new = db.session.scalars(select(Org).where(Org.name == NEW_BRANCH[0])).one()
        assert new.parent is not None and new.parent.name == COMMITTEE


def test_org_roster_for_another_committee_is_refused(
        app: Flask, client: Any, users: dict[str, int], tmp_path: Path) -> None:
    from tests.xlsx_helpers import write_org_roster

    sign_in(client, users["committee_admin"])
    other_row = [OTHER_BRANCH, *NEW_BRANCH[1:]]  # exists, but in the other committee
    path = write_org_roster(tmp_path / "a3.xlsx", [NEW_BRANCH, other_row], party=OTHER)
    job = _finish(app, _upload_orgs(client, path))
    assert job.status == "refused" and job.error_rows == 2
    with app.app_context():
        from service.models import Org

        assert db.session.scalars(select(Org).where(Org.name == NEW_BRANCH[0])).first() is None


def test_org_roster_cannot_hang_new_orgs_under_another_committee(
        app: Flask, client: Any, users: dict[str, int], tmp_path: Path) -> None:
    from tests.xlsx_helpers import write_org_roster

    path = write_org_roster(tmp_path / "a3.xlsx", [NEW_BRANCH])
    wb = load_workbook(path)
    wb.worksheets[0]["L4"] = "上级党组织"
    wb.worksheets[0]["L6"] = OTHER_BRANCH  # exists, but in the other committee
    wb.save(path)
    sign_in(client, users["committee_admin"])
    job = _finish(app, _upload_orgs(client, path))
    assert (job.status, job.error_rows) == ("refused", 1)
    report = load_workbook(io.BytesIO(client.get(f"/admin/imports/{job.id}/errors.xlsx").data))
    assert "不在您的管理范围" in str(report.worksheets[0].cell(6, 13).value)
    with app.app_context():
        from service.models import Org

        assert db.session.scalars(select(Org).where(Org.name == NEW_BRANCH[0])).first() is None


def test_error_report_is_sealed_and_deleted_after_the_retention_period(
        app: Flask, client: Any, users: dict[str, int], tmp_path: Path) -> None:
    from datetime import timedelta

    from service import scheduler
    from service.admin import import_files
    from service.sealing import MAGIC
    from service.unit_of_work import run_unit

    sign_in(client, users["committee_admin"])
    rows = [person(n) for n in range(1, 3)]
    rows[1]["性别"] = "不详"
    job = _finish(app, _upload(client, write_member_roster(tmp_path / "r.xlsx", rows)))
    assert job.has_report
    stored = Path(app.instance_path) / "imports" / str(job.id) / "errors.xlsx"
    # at rest the report (a copy of the upload, ID numbers and all) is sealed and private
    assert stored.read_bytes().startswith(MAGIC) and oct(stored.stat().st_mode)[-3:] == "600"
    assert client.get(f"/admin/imports/{job.id}/errors.xlsx").status_code == 200
    assert any(j.func == "service.admin.import_files:purge_reports" for j in scheduler.JOBS)

    finished = job.updated_at  # the job's clock, frozen at either side of the 7 days
    with app.app_context():
        kept = run_unit(lambda: import_files.purge_reports(finished + timedelta(days=6)))
    assert not kept and stored.exists()
    with app.app_context():
        gone = run_unit(lambda: import_files.purge_reports(finished + timedelta(days=7, hours=1)))
        assert gone["导入错误报告已删除"] == 1
        assert db.session.get(ImportJob, job.id).has_report is False  # type: ignore[union-attr]
    assert not stored.exists()
    assert client.get(f"/admin/imports/{job.id}/errors.xlsx").status_code == 404


def test_retention_days_come_from_the_setting(make_app: Any) -> None:
    from datetime import timedelta

    from service.admin import import_files

    with make_app(IMPORT_REPORT_RETENTION_DAYS=2).app_context():
        assert import_files.retention() == timedelta(days=2)
    with make_app().app_context():
        assert import_files.retention() == timedelta(days=7)
