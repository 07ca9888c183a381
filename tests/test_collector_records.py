"""Collectors call and keep records: full numbers revealed (audited, scoped, limited), proxy
confirmations refused without a record, contact records, files added later and opened."""

from __future__ import annotations

import io
import json

from sqlalchemy import func, select

from service.evidence import annotation, ledger
from service.extensions import db
from service.models import AuditLog, ContactRecord, EvidenceEntry, Member
from testkit.admin import csrf, dispute, make_world, post, sign_in
from testkit.workflow import MP3, PNG, yesterday


def _audits(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


def _phones(app, member_id):
    with app.app_context():
        m = db.session.get(Member, member_id)
        return m.mobile, m.landline


def _proxy(client, w, member_id, files=(), **overrides):
    data = {"csrf_token": csrf(client), "campaign_id": str(w.campaign_id), "method": "phone",
            "confirmed_on": yesterday().isoformat(), "collector_name": "王采集",
            "reason": "外出务工", "note": "", "contact_used": "", "contacted_at": "",
            "member_said": "",
            "attachments": [(io.BytesIO(body), name) for name, body in files], **overrides}
    return client.post(f"/admin/collector/members/{member_id}/proxy", data=data,
                       content_type="multipart/form-data")


def test_collector_reveals_full_numbers_of_a_member_to_call_audited(app, client):
    w = make_world(app)
    member_id = w.members_b1[0]
    with app.app_context():
        db.session.get(Member, member_id).landline = "010-62345678"
        db.session.commit()
    mobile, landline = _phones(app, member_id)
    sign_in(client, w.users["collector"])
    page = client.get(f"/admin/collector/members/{member_id}").get_data(as_text=True)
    assert "查看完整号码" in page and mobile not in page and landline not in page
    shown = post(client, f"/admin/collector/members/{member_id}/phone")
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and mobile in html and landline in html
    (entry,) = _audits(app, "member.view_phone")
    assert entry.target_id == str(member_id) and mobile not in json.dumps(entry.detail)


def test_reveal_is_scoped_role_checked_and_refused_once_settled(app, client):
    w = make_world(app)
    sign_in(client, w.users["collector"])
    assert post(client, f"/admin/collector/members/{w.members_b2[0]}/phone").status_code == 404
    sign_in(client, w.users["committee_admin"])
    assert post(client, f"/admin/collector/members/{w.members_b1[0]}/phone").status_code == 403
    sign_in(client, w.users["collector"])
    done = _proxy(client, w, w.members_b1[1], [("call.mp3", MP3)])
    assert done.status_code == 302
    settled = post(client, f"/admin/collector/members/{w.members_b1[1]}/phone")
    assert settled.status_code == 409 and "已完成确认" in settled.get_data(as_text=True)
    assert _audits(app, "member.view_phone") == []


def test_reveals_are_limited_per_account_per_hour(app, client):
    app.config["ADMIN_PHONE_REVEALS_PER_HOUR"] = 2
    w = make_world(app)
    mobile, _ = _phones(app, w.members_b1[0])
    sign_in(client, w.users["collector"])
    url = f"/admin/collector/members/{w.members_b1[0]}/phone"
    assert [post(client, url).status_code for _ in range(2)] == [200, 200]
    refused = post(client, url)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "每小时上限" in html and mobile not in html
    assert len(_audits(app, "member.view_phone")) == 2
    sign_in(client, w.users["branch_admin"])  # another account has its own allowance
    assert post(client, url).status_code == 200


def test_correction_page_reveals_the_proposed_phone(app, client):
    w = make_world(app)
    member_id = w.members_b1[0]
    request_id = dispute(app, member_id, w.campaign_id, {"mobile": "13912345678"})
    mobile, _ = _phones(app, member_id)
    sign_in(client, w.users["collector"])
    page = client.get(f"/admin/corrections/{request_id}").get_data(as_text=True)
    assert "查看完整号码" in page and "13912345678" not in page
    html = post(client, f"/admin/corrections/{request_id}/phone").get_data(as_text=True)
    assert "13912345678" in html and mobile in html
    (entry,) = _audits(app, "correction.view_phone")
    assert entry.target_id == str(request_id)
    sign_in(client, w.users["collector_2"])  # another branch's correction
    assert post(client, f"/admin/corrections/{request_id}/phone").status_code == 404


def test_proxy_confirmation_without_any_record_is_refused(app, client):
    w = make_world(app)
    member_id = w.members_b1[0]
    sign_in(client, w.users["collector"])
    bare = _proxy(client, w, member_id)
    assert bare.status_code == 400
    assert "代为确认必须留存确认记录" in bare.get_data(as_text=True)
    half = _proxy(client, w, member_id, contact_used="13800138000")
    assert half.status_code == 400
    assert "联系记录不完整，请填写：联系时间、党员的答复" in half.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EvidenceEntry).where(
            EvidenceEntry.kind == ledger.PROXY_CONFIRMED)) == 0


def test_structured_record_then_a_recording_added_later_both_open(app, client):
    w = make_world(app)
    member_id = w.members_b1[0]
    sign_in(client, w.users["collector"])
    at = f"{yesterday().isoformat()}T14:30"
    done = _proxy(client, w, member_id, contact_used="13800138000", contacted_at=at,
                  member_said="经逐项核对，本人确认信息无误")
    assert done.status_code == 302, done.get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalar(select(EvidenceEntry).where(
            EvidenceEntry.kind == ledger.PROXY_CONFIRMED))
        record = db.session.scalar(select(ContactRecord))
        assert record.entry_id == entry.id and record.contact_used == "13800138000"
        assert record.contacted_at.strftime("%H:%M") == "06:30"  # 14:30 Beijing time, in UTC
        assert "13800138000" not in entry.body and "138****8000" in entry.body
        entry_id = entry.id
    later = client.post(f"/admin/collector/confirmations/{entry_id}/attachments",
                        data={"csrf_token": csrf(client),
                              "attachments": [(io.BytesIO(MP3), "录音.mp3")]},
                        content_type="multipart/form-data")
    assert later.status_code == 302, later.get_data(as_text=True)
    with app.app_context():
        added = db.session.scalar(select(EvidenceEntry).where(
            EvidenceEntry.kind == ledger.ATTACHMENT))
        assert json.loads(added.body)["data"]["for"] == ledger.evidence_id(
            db.session.get(EvidenceEntry, entry_id).seq)
        note = annotation.signature_note(member_id)
        assert "14:30通过电话确认（留存联系记录、通话录音备查）" in note["text"]
    html = client.get(f"/admin/members/{member_id}").get_data(as_text=True)
    assert "联系记录：电话，所用号码或账号 138****8000" in html and "录音.mp3" in html
    assert "经逐项核对" in html
    link = html.split('class="kept-file"')[0].rsplit('href="', 1)[1].split('"')[0]
    opened = client.get(link)
    assert opened.status_code == 200 and opened.data == MP3
    assert len(_audits(app, "evidence.open_attachment")) == 1
    assert len(_audits(app, "evidence.add_attachments")) == 1
    sign_in(client, w.users["collector_2"])  # another branch: neither the file nor the entry
    assert client.get(link).status_code == 404
    refused = client.post(f"/admin/collector/confirmations/{entry_id}/attachments",
                          data={"csrf_token": csrf(client),
                                "attachments": [(io.BytesIO(PNG), "a.png")]},
                          content_type="multipart/form-data")
    assert refused.status_code == 404
