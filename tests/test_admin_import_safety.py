"""Web imports of bad workbooks: a Chinese refusal on the job, never an internal error; the
rename confirmation checkbox; jobs a dead process left running end as failed."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from service import scheduler
from service.admin import import_files, import_jobs
from service.clock import now_utc
from service.extensions import db
from service.models import ImportJob, Org
from service.models.import_job import CHECKING, FAILED, MEMBERS
from service.unit_of_work import run_unit
from testkit.admin import make_user, post, sign_in
from testkit.factories import make_org
from tests import xlsx_hostile as hostile
from tests.xlsx_helpers import BRANCH_A, COMMITTEE, person, write_member_roster


@pytest.fixture
def admin(app: Flask) -> int:
    with app.app_context():
        committee = make_org(name=COMMITTEE)
        make_org(committee, name=BRANCH_A)
        user = make_user("committee_admin", committee)
        db.session.commit()
        return user.id


def _upload(app: Flask, client: Any, path: Path, **form: Any) -> ImportJob:
    data = {"kind": "members", "file": (io.BytesIO(path.read_bytes()), path.name), **form}
    response = post(client, "/admin/imports", data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    app.extensions["import_threads"][job_id].join(timeout=60)
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert job is not None
        db.session.expunge(job)
        return job


@pytest.mark.parametrize("build, phrase", [
    (lambda p: hostile.repack(hostile.roster(p), {hostile.SHEET: hostile.with_dtd}),
     "DTD 或实体声明"),
    (lambda p: hostile.repack(hostile.roster(p, 5), {hostile.SHEET: hostile.truncated}),
     "内容不完整或已损坏"),
    (lambda p: hostile.repack(hostile.roster(p), {"[Content_Types].xml": hostile.macro_types}),
     "启用宏的工作簿"),
    (lambda p: hostile.merge(hostile.roster(p), "C6:C7"), "第6行有合并单元格"),
    (lambda p: hostile.swapped(p, "姓名", "家庭住址"), "表头与内容对不上"),
    (lambda p: hostile.repack(hostile.roster(p), {hostile.SHEET: hostile.dimension("A1:T3000000")}),
     "超过导入上限"),
])
def test_a_bad_workbook_is_refused_with_its_reason(
        app: Flask, client: Any, admin: int, tmp_path: Path, build: Any, phrase: str) -> None:
    sign_in(client, admin)
    job = _upload(app, client, build(tmp_path / "r.xlsx"))
    assert job.status == "refused", job.message
    assert phrase in (job.message or "")
    assert client.get(f"/admin/imports/{job.id}").status_code == 200


def test_renames_need_the_checkbox(app: Flask, client: Any, admin: int, tmp_path: Path) -> None:
    sign_in(client, admin)
    people = [person(n) for n in range(1, 6)]
    assert _upload(app, client, write_member_roster(tmp_path / "a.xlsx", people)).created == 5
    renamed = write_member_roster(tmp_path / "b.xlsx",
                                  [dict(p, 姓名=f"改名{i}") for i, p in enumerate(people)])
    assert "确认修改已有党员的姓名" in client.get("/admin/imports").get_data(as_text=True)
    job = _upload(app, client, renamed)
    assert job.status == "refused" and job.updated == 0
    assert "本次导入将修改 5 名已有党员的姓名" in (job.message or "")
    assert "勾选“确认修改已有党员的姓名”" in (job.message or "")
    job = _upload(app, client, renamed, accept_changes="1")
    assert (job.status, job.updated) == ("done", 5)


def _left_running(app: Flask, minutes: int, uploader: int) -> int:
    with app.app_context():
        scope = db.session.scalars(db.select(Org).where(Org.name == COMMITTEE)).one()
        job = import_jobs.create_job(MEMBERS, "r.xlsx", b"PK", user_id=uploader, scope=scope,
                                     skip_invalid=False)
        db.session.flush()
        db.session.execute(update(ImportJob).where(ImportJob.id == job.id).values(
            status=CHECKING, updated_at=now_utc() - timedelta(minutes=minutes)))
        db.session.commit()
        return job.id


def test_a_job_a_dead_process_left_checking_fails_when_its_page_opens(
        app: Flask, client: Any, admin: int) -> None:
    stale, fresh = _left_running(app, 45, admin), _left_running(app, 5, admin)
    sign_in(client, admin)
    page = client.get(f"/admin/imports/{stale}").get_data(as_text=True)
    assert "导入失败" in page and "导入已中断" in page
    assert client.get(f"/admin/api/imports/{fresh}").get_json()["status"] == CHECKING
    with app.app_context():
        assert db.session.get(ImportJob, stale).status == FAILED  # type: ignore[union-attr]
        assert import_files.get(stale, import_files.UPLOAD) is None  # it held ID numbers


def test_the_scheduler_fails_stale_jobs_after_a_restart(app: Flask, admin: int) -> None:
    assert any(j.func == "service.admin.import_jobs:fail_stale" for j in scheduler.JOBS)
    stale = _left_running(app, 45, admin)
    with app.app_context():
        app.config["IMPORT_STALE_MINUTES"] = 60
        assert not run_unit(lambda: import_jobs.fail_stale(now_utc()))
        app.config["IMPORT_STALE_MINUTES"] = 30
        done = run_unit(lambda: import_jobs.fail_stale(now_utc()))
        assert done["中断的导入已标为失败"] == 1
        job = db.session.get(ImportJob, stale)
        assert job is not None and job.status == FAILED and "请重新上传" in (job.message or "")
