"""Correction queue: the diff beside the record, accept with a basis, reject with a reason."""

from __future__ import annotations

from sqlalchemy import select

from service.extensions import db
from service.models import AuditLog, CampaignMember, CorrectionRequest, Member
from testkit.admin import dispute, make_world, post, sign_in

NEW_ADDRESS = "北京市海淀区新地址路8号"


def _state(app, member_id):
    with app.app_context():
        return db.session.scalar(select(CampaignMember).where(
            CampaignMember.member_id == member_id))


def test_queue_and_field_by_field_diff(app, client):
    w = make_world(app)
    request_id = dispute(app, w.members_b1[0], w.campaign_id,
                         {"address": NEW_ADDRESS, "mobile": "13700001111"})
    sign_in(client, w.users["branch_admin"])
    queue = client.get("/admin/corrections").get_data(as_text=True)
    assert f"/admin/corrections/{request_id}" in queue and "2 项" in queue
    page = client.get(f"/admin/corrections/{request_id}").get_data(as_text=True)
    with app.app_context():
        old = db.session.get(Member, w.members_b1[0])
        old_address, old_mobile = old.address, old.mobile
    assert old_address in page and NEW_ADDRESS in page
    assert "137****1111" in page and "13700001111" not in page and old_mobile not in page
    assert "地址变了" in page


def test_accept_needs_a_basis_then_changes_record_and_sends_new_card(app, client):
    w = make_world(app)
    member_id = w.members_b1[0]
    request_id = dispute(app, member_id, w.campaign_id)
    before = _state(app, member_id).card_id
    sign_in(client, w.users["branch_admin"])
    refused = post(client, f"/admin/corrections/{request_id}/accept",
                   {"v_address": NEW_ADDRESS})
    assert refused.status_code == 400
    assert "采纳修改时必须填写修改依据" in refused.get_data(as_text=True)
    adjusted = NEW_ADDRESS.replace("8号", "18号")
    done = post(client, f"/admin/corrections/{request_id}/accept",
                {"v_address": adjusted, "basis": "经核实户口簿"})
    assert done.status_code == 302
    cm = _state(app, member_id)
    assert cm.state == "pending" and cm.card_id != before
    with app.app_context():
        assert db.session.get(Member, member_id).address == adjusted
        req = db.session.get(CorrectionRequest, request_id)
        assert req.status == "accepted" and req.basis == "经核实户口簿"
        assert req.resolved_by == f"admin:{w.users['branch_admin']}"
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "correction.accept"))
    again = post(client, f"/admin/corrections/{request_id}/accept", {"basis": "再来一次"})
    assert again.status_code == 409 and "已处理" in again.get_data(as_text=True)


def test_accept_refuses_invalid_values_and_saves_nothing(app, client):
    w = make_world(app)
    member_id = w.members_b1[0]
    request_id = dispute(app, member_id, w.campaign_id, {"birth_date": "1980-13-01"})
    sign_in(client, w.users["branch_admin"])
    refused = post(client, f"/admin/corrections/{request_id}/accept",
                   {"v_birth_date": "1980-13-01", "basis": "档案"})
    assert refused.status_code == 400 and "不是有效日期" in refused.get_data(as_text=True)
    assert _state(app, member_id).state == "disputed"


def test_reject_needs_a_reason_and_puts_the_record_back_to_the_member(app, client):
    w = make_world(app)
    member_id = w.members_b2[0]
    request_id = dispute(app, member_id, w.campaign_id)
    sign_in(client, w.users["branch_admin_2"])
    assert post(client, f"/admin/corrections/{request_id}/reject").status_code == 400
    done = post(client, f"/admin/corrections/{request_id}/reject",
                {"reason": "档案记载与原信息一致"})
    assert done.status_code == 302
    assert _state(app, member_id).state == "pending"
    with app.app_context():
        req = db.session.get(CorrectionRequest, request_id)
        assert req.status == "rejected" and req.reason == "档案记载与原信息一致"
    assert "没有待处理的修改申请" in client.get("/admin/corrections").get_data(as_text=True)
