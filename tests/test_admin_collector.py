"""Collector page: proxy confirmation with uploaded evidence, unreachable, re-contact, calls."""

from __future__ import annotations

import io

from sqlalchemy import select

from service.evidence import ledger
from service.extensions import db
from service.models import Attachment, CallTask, CampaignMember, EvidenceEntry
from testkit.admin import call_task, csrf, make_world, post, sign_in
from testkit.workflow import MP3, PNG, yesterday


def _cm(app, member_id):
    with app.app_context():
        return db.session.scalar(select(CampaignMember).where(
            CampaignMember.member_id == member_id))


def _proxy(client, w, member_id, files=(), **overrides):
    data = {"csrf_token": csrf(client), "campaign_id": str(w.campaign_id), "method": "phone",
            "confirmed_on": yesterday().isoformat(), "collector_name": "王采集",
            "reason": "外出务工", "note": "电话核对全部信息无误",
            "attachments": [(io.BytesIO(body), name) for name, body in files], **overrides}
    return client.post(f"/admin/collector/members/{member_id}/proxy", data=data,
                       content_type="multipart/form-data")


def test_list_shows_members_still_to_settle(app, client):
    w = make_world(app)
    sign_in(client, w.users["collector"])
    html = client.get("/admin/collector").get_data(as_text=True)
    assert html.count("/admin/collector/members/") == 3


def test_proxy_confirmation_with_uploads_closes_call_tasks(app, client):
    w = make_world(app)
    member_id = w.members_b1[0]
    task_id = call_task(app, member_id, w.campaign_id)
    sign_in(client, w.users["collector"])
    page = client.get(f"/admin/collector/members/{member_id}").get_data(as_text=True)
    assert "记录代为确认" in page and "通话录音" in page
    done = _proxy(client, w, member_id, [("call.mp3", MP3), ("form.png", PNG)])
    assert done.status_code == 302, done.get_data(as_text=True)
    assert _cm(app, member_id).state == "proxy_confirmed"
    with app.app_context():
        entry = db.session.scalar(select(EvidenceEntry).where(
            EvidenceEntry.kind == ledger.PROXY_CONFIRMED, EvidenceEntry.member_id == member_id))
        files = db.session.scalars(select(Attachment).where(Attachment.entry_id == entry.id)).all()
        assert sorted(f.filename for f in files) == ["call.mp3", "form.png"]
        assert entry.actor == f"admin:{w.users['collector']}"
        task = db.session.get(CallTask, task_id)
        assert task.status == "done" and task.outcome == "已代为确认"
    shown = client.get(f"/admin/members/{member_id}").get_data(as_text=True)
    assert "代为确认" in shown and "call.mp3" in shown
    repeat = _proxy(client, w, member_id)  # a double click records nothing more
    assert repeat.status_code in (302, 409)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(EvidenceEntry).where(
            EvidenceEntry.kind == ledger.PROXY_CONFIRMED)) == 1


def test_bad_upload_is_refused_in_chinese_and_nothing_is_saved(app, client):
    w = make_world(app)
    member_id = w.members_b1[0]
    sign_in(client, w.users["collector"])
    wrong = _proxy(client, w, member_id, [("notes.exe", b"MZ\x90\x00binary")])
    assert wrong.status_code == 400
    assert "文件类型不支持" in wrong.get_data(as_text=True)
    mismatch = _proxy(client, w, member_id, [("photo.pdf", PNG)])
    assert "与文件扩展名不符" in mismatch.get_data(as_text=True)
    future = _proxy(client, w, member_id, confirmed_on="2999-01-01")
    assert "确认日期不能晚于今天" in future.get_data(as_text=True)
    bad_date = _proxy(client, w, member_id, confirmed_on="昨天")
    assert "请填写有效的确认日期" in bad_date.get_data(as_text=True)
    assert _cm(app, member_id).state == "pending"
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Attachment)) == 0


def test_too_large_upload_gets_a_chinese_413(app, client):
    w = make_world(app)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    sign_in(client, w.users["collector"])
    big = _proxy(client, w, w.members_b1[0], [("call.mp3", MP3 + b"\x00" * 4096)])
    assert big.status_code == 413 and "上传的内容太大" in big.get_data(as_text=True)


def test_unreachable_needs_a_note_then_reopen(app, client):
    w = make_world(app)
    member_id = w.members_b1[1]
    sign_in(client, w.users["collector"])
    url = f"/admin/collector/members/{member_id}"
    refused = post(client, f"{url}/unreachable", {"campaign_id": w.campaign_id, "note": " "})
    assert refused.status_code == 400 and "必须填写情况说明" in refused.get_data(as_text=True)
    done = post(client, f"{url}/unreachable", {"campaign_id": w.campaign_id,
                                               "note": "电话停机，邻居说已搬走"})
    assert done.status_code == 302
    cm = _cm(app, member_id)
    assert cm.state == "unreachable" and cm.note == "电话停机，邻居说已搬走"
    back = post(client, f"{url}/reopen", {"campaign_id": w.campaign_id, "note": "联系上了"})
    assert back.status_code == 302 and _cm(app, member_id).state == "pending"


def test_close_a_call_task_with_its_outcome(app, client):
    w = make_world(app)
    task_id = call_task(app, w.members_b1[2], w.campaign_id)
    sign_in(client, w.users["branch_admin"])
    assert post(client, f"/admin/calls/{task_id}/done", {"outcome": " "}).status_code == 400
    assert post(client, f"/admin/calls/{task_id}/done",
                {"outcome": "已提醒本人尽快确认"}).status_code == 302
    with app.app_context():
        task = db.session.get(CallTask, task_id)
        assert task.status == "done" and task.outcome == "已提醒本人尽快确认"
        assert task.done_by == f"admin:{w.users['branch_admin']}"
