"""Import workers: queued web imports are claimed by one worker each, kept alive by a lease,
and taken over (or failed with a message) when their runner dies; never left 检查中."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from service.admin import import_files, import_worker
from service.extensions import db
from service.leases import wall_utc
from service.models import ImportJob, Member
from testkit.admin import make_user, post, sign_in
from testkit.factories import make_org
from tests.xlsx_helpers import BRANCH_A, COMMITTEE, person, write_member_roster


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app(IMPORT_RUNNER="worker", IMPORT_LEASE_SECONDS=60, IMPORT_MAX_ATTEMPTS=3)


@pytest.fixture
def admin(app: Flask) -> int:
    with app.app_context():
        committee = make_org(name=COMMITTEE)
        make_org(committee, name=BRANCH_A)
        user_id = make_user("committee_admin", committee).id
        db.session.commit()
        return user_id


def _queue(client: Any, path: Path) -> int:
    data = {"kind": "members", "file": (io.BytesIO(path.read_bytes()), path.name)}
    response = post(client, "/admin/imports", data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _job(app: Flask, job_id: int) -> ImportJob:
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert job is not None
        db.session.expunge(job)
        return job


def _rosters(client: Any, tmp_path: Path, *sizes: int) -> list[int]:
    ids, first = [], 1
    for k, size in enumerate(sizes):
        path = write_member_roster(tmp_path / f"roster{k}.xlsx",
                                   [person(n) for n in range(first, first + size)])
        ids.append(_queue(client, path))
        first += size
    return ids


def test_the_web_only_queues_and_two_workers_run_each_job_once(
    app: Flask, client: Any, admin: int, tmp_path: Path,
) -> None:
    sign_in(client, admin)
    jobs = _rosters(client, tmp_path, 4, 3)
    assert "import_threads" not in app.extensions  # no thread in the web process
    assert [_job(app, j).status for j in jobs] == ["queued", "queued"]
    assert "排队中" in client.get(f"/admin/imports/{jobs[0]}").get_data(as_text=True)

    ran: dict[str, int] = {}
    start = threading.Barrier(2)

    def worker(name: str) -> None:
        start.wait()
        ran[name] = import_worker.work(app, name, once=True)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sum(ran.values()) == 2
    done = [_job(app, j) for j in jobs]
    assert [(j.status, j.created, j.attempts, j.lease_until) for j in done] == [
        ("done", 4, 1, None), ("done", 3, 1, None)]
    assert {j.worker_id for j in done} <= {"w1", "w2"}
    with app.app_context():
        assert db.session.scalar(select(func.count(Member.id))) == 7
        assert all(import_files.get(j, import_files.UPLOAD) is None for j in jobs)
    assert import_worker.work(app, "w3", once=True) == 0  # nothing left to claim


def test_a_job_whose_worker_died_is_claimed_again_and_run_from_the_start(
    app: Flask, client: Any, admin: int, tmp_path: Path,
) -> None:
    sign_in(client, admin)
    (job_id,) = _rosters(client, tmp_path, 5)
    now = wall_utc()
    with app.app_context():
        assert db.session.execute(select(ImportJob.id)).scalar() == job_id
        # A worker claims it and dies mid-check: its transaction is gone, its lease runs on.
        assert import_worker.claim(job_id, "dead", now, 60, 3) is True
        db.session.execute(update(ImportJob).where(ImportJob.id == job_id)
                           .values(status="checking", done=200))
        db.session.commit()
        assert import_worker.claim(job_id, "other", now + timedelta(seconds=30), 60, 3) is False
        db.session.rollback()
    assert import_worker.work(app, "early", once=True) == 0  # the lease still holds

    with app.app_context():  # the dead worker's lease runs out
        db.session.execute(update(ImportJob).where(ImportJob.id == job_id)
                           .values(lease_until=now - timedelta(seconds=1)))
        db.session.commit()
    assert import_worker.work(app, "heir", once=True) == 1
    job = _job(app, job_id)
    assert (job.status, job.created, job.worker_id, job.attempts) == ("done", 5, "heir", 2)


def test_a_job_that_kept_killing_its_workers_is_failed_with_a_message(
    app: Flask, client: Any, admin: int, tmp_path: Path,
) -> None:
    sign_in(client, admin)
    (job_id,) = _rosters(client, tmp_path, 2)
    with app.app_context():
        db.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(
            status="writing", worker_id="dead", attempts=3,
            lease_until=wall_utc() - timedelta(seconds=1)))
        db.session.commit()
    assert import_worker.work(app, "heir", once=True) == 0
    job = _job(app, job_id)
    assert job.status == "failed" and job.lease_until is None
    assert "已尝试 3 次" in (job.message or "") and "重新上传" in (job.message or "")
    with app.app_context():
        assert import_files.get(job_id, import_files.UPLOAD) is None
        assert db.session.scalar(select(func.count(Member.id))) == 0
    page = client.get(f"/admin/imports/{job_id}").get_data(as_text=True)
    assert "导入失败" in page and "已尝试 3 次" in page


def test_a_job_left_running_by_a_version_without_leases_is_taken_over(
    app: Flask, client: Any, admin: int, tmp_path: Path,
) -> None:
    sign_in(client, admin)
    (job_id,) = _rosters(client, tmp_path, 2)
    with app.app_context():
        db.session.execute(update(ImportJob).where(ImportJob.id == job_id)
                           .values(status="checking"))
        db.session.commit()
    assert import_worker.work(app, "heir", once=True) == 1
    assert _job(app, job_id).status == "done"


def test_imports_work_command_runs_queued_jobs(
    app: Flask, client: Any, admin: int, tmp_path: Path,
) -> None:
    sign_in(client, admin)
    (job_id,) = _rosters(client, tmp_path, 3)
    result = app.test_cli_runner().invoke(args=["imports", "work", "--once",
                                                "--worker-id", "cli-1"])
    assert result.exit_code == 0, result.output
    assert "导入进程 cli-1 结束：处理导入任务 1 个" in result.output
    job = _job(app, job_id)
    assert (job.status, job.worker_id) == ("done", "cli-1")


def test_thread_runner_claims_the_job_it_starts(make_app: Any, tmp_path: Path) -> None:
    app = make_app()  # IMPORT_RUNNER defaults to thread: one machine, the demo
    with app.app_context():
        committee = make_org(name=COMMITTEE)
        make_org(committee, name=BRANCH_A)
        user_id = make_user("committee_admin", committee).id
        db.session.commit()
    client = app.test_client()
    sign_in(client, user_id)
    (job_id,) = _rosters(client, tmp_path, 2)
    app.extensions["import_threads"][job_id].join(timeout=60)
    job = _job(app, job_id)
    assert job.status == "done" and job.attempts == 1
    assert job.worker_id is not None and job.worker_id.startswith("web:")


def test_an_interrupted_run_hands_the_job_back_at_once(
    app: Flask, client: Any, admin: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    sign_in(client, admin)
    (job_id,) = _rosters(client, tmp_path, 2)

    def interrupted(app: Flask, job_id: int) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(import_worker.import_jobs, "run_job", interrupted)
        with pytest.raises(KeyboardInterrupt):
            import_worker.work(app, "stopped", once=True)
    assert _job(app, job_id).status == "queued"
    assert import_worker.work(app, "next", once=True) == 1  # no wait for the lease
    job = _job(app, job_id)
    assert (job.status, job.worker_id, job.attempts) == ("done", "next", 2)
