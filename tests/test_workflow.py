"""The confirmation workflow driven through every transition by its use cases."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import func, select

from service.campaign import cards, corrections, workflow
from service.campaign.campaigns import progress
from service.campaign.states import InvalidTransition, StaleCard
from service.errors import Forbidden, ServiceError
from service.evidence import annotation
from service.evidence.attachments import store_attachment
from service.evidence.canonical import sha256_hex
from service.extensions import db
from service.models import AuditLog, Card, CorrectionRequest, EvidenceEntry, MemberVersion
from service.models.campaign import (
    CONFIRMED,
    DISPUTED,
    DRAFT,
    PENDING,
    PROXY_CONFIRMED,
    STATE_LABELS,
    UNREACHABLE,
)
from service.roster.members import update_member
from service.unit_of_work import run_unit
from testkit.workflow import PNG, cm_of, confirm_kwargs, started, yesterday


def _entries(kind: str | None = None) -> int:
    query = select(func.count()).select_from(EvidenceEntry)
    if kind:
        query = query.where(EvidenceEntry.kind == kind)
    return db.session.scalar(query) or 0


def test_start_issues_a_card_per_member_with_hash_of_its_snapshot(app_ctx: Flask) -> None:
    campaign, members = started()
    for member in members:
        cm = cm_of(campaign.id, member.id)
        assert cm.state == PENDING and cm.card is not None
        assert cm.card.sha256 == sha256_hex(cm.card.content)
        assert cards.card_content(cm.card)["items"]["id_number"] == member.id_number
        assert len(cm.card.short_code) == 6 and cm.card.open_code == cm.card.short_code
    assert _entries("card_issued") == len(members)
    # the snapshot is encrypted at rest: no ID number or phone in the stored column
    stored = db.session.execute(sa.text("SELECT content FROM cards")).scalars().all()
    for member in members:
        assert not any(member.id_number in s or member.mobile in s for s in stored)
    assert "campaign.submit" in db.session.scalars(select(AuditLog.action)).all()


def test_draft_waits_until_submitted(app_ctx: Flask) -> None:
    campaign, members = started(submit=False)
    assert cm_of(campaign.id, members[0].id).state == DRAFT
    card = run_unit(lambda: workflow.submit(campaign.id, members[0].id, actor="admin:1"))
    assert cm_of(campaign.id, members[0].id).card_id == card.id
    assert cm_of(campaign.id, members[0].id).state == PENDING
    with pytest.raises(InvalidTransition):
        run_unit(lambda: workflow.submit(campaign.id, members[0].id, actor="admin:1"))


def test_confirm_records_consent_once_and_is_idempotent(app_ctx: Flask) -> None:
    campaign, members = started()
    m = members[0]
    card_id = cm_of(campaign.id, m.id).card_id
    first = run_unit(lambda: workflow.confirm(card_id, m.id, **confirm_kwargs()))
    assert not first.repeated and first.entry.kind == "confirmed"
    assert cm_of(campaign.id, m.id).state == CONFIRMED
    assert _entries("consent") == 1 and _entries("confirmed") == 1
    before = _entries()
    again = run_unit(lambda: workflow.confirm(card_id, m.id, **confirm_kwargs()))
    assert again.repeated and again.entry.seq == first.entry.seq and _entries() == before
    actions = db.session.scalars(
        select(AuditLog.action).where(AuditLog.target_type == "campaign_member"))
    assert "campaign.confirm" in list(actions)


def test_confirm_of_someone_elses_card_is_forbidden(app_ctx: Flask) -> None:
    campaign, members = started()
    card_id = cm_of(campaign.id, members[0].id).card_id
    with pytest.raises(Forbidden):
        run_unit(lambda: workflow.confirm(card_id, members[1].id, **confirm_kwargs()))


def test_admin_edit_of_confirmed_record_reasks_with_new_card(app_ctx: Flask) -> None:
    campaign, members = started()
    m = members[0]
    old = cm_of(campaign.id, m.id).card_id
    run_unit(lambda: workflow.confirm(old, m.id, **confirm_kwargs()))
    run_unit(lambda: workflow.edit_record(m.id, {"address": "北京市东城区新地址1号"},
                                          actor="admin:1", basis="户口本"))
    cm = cm_of(campaign.id, m.id)
    assert cm.state == PENDING and cm.card_id != old
    assert db.session.get(Card, old).superseded_at is not None
    with pytest.raises(StaleCard) as refused:
        run_unit(lambda: workflow.confirm(old, m.id, **confirm_kwargs()))
    assert refused.value.card.id == cm.card_id and "已更新" in refused.value.message
    run_unit(lambda: workflow.confirm(cm.card_id, m.id, **confirm_kwargs(provider_msg_id="m2")))
    assert cm_of(campaign.id, m.id).state == CONFIRMED
    assert _entries("consent") == 1 and _entries("confirmed") == 2


def test_record_changed_outside_workflow_refuses_and_keeps_new_card(app_ctx: Flask) -> None:
    campaign, members = started()
    m = members[0]
    old = cm_of(campaign.id, m.id).card_id
    update_member(m, {"address": "别处改的地址9号"}, actor="import", source="import", basis=None)
    db.session.commit()
    with pytest.raises(StaleCard) as refused:
        run_unit(lambda: workflow.confirm(old, m.id, **confirm_kwargs()))
    assert refused.value.keep
    cm = cm_of(campaign.id, m.id)
    assert cm.card_id == refused.value.card.id != old and cm.state == PENDING
    assert cards.card_content(cm.card)["items"]["address"] == "别处改的地址9号"
    assert _entries("confirmed") == 0


def test_dispute_then_accept_changes_record_and_reissues(app_ctx: Flask) -> None:
    campaign, members = started()
    m, branch = members[0], members[0].org
    card_id = cm_of(campaign.id, m.id).card_id
    request = run_unit(lambda: corrections.dispute(
        card_id, m.id, proposed={"address": "北京市海淀区正确路8号", "mobile": "13900001111"},
        note="搬家了", channel="sms", identity="sms_phone", payload=b"2 ABC"))
    assert cm_of(campaign.id, m.id).state == DISPUTED
    assert [r.id for r in corrections.queue(branch)] == [request.id]
    rows = {d["field"]: d for d in corrections.diff(request)}
    assert rows["address"]["label"] == "家庭住址" and rows["address"]["current"] == m.address
    assert rows["mobile"]["proposed"] == "13900001111"
    entry = db.session.scalar(select(EvidenceEntry).where(EvidenceEntry.kind == "disputed"))
    assert "13900001111" not in entry.body and "139****1111" in entry.body
    # a repeated dispute (provider retry) writes nothing new
    again = run_unit(lambda: corrections.dispute(
        card_id, m.id, proposed={"address": "x"}, channel="sms", identity="sms_phone"))
    assert again.id == request.id and _entries("disputed") == 1
    with pytest.raises(InvalidTransition):
        run_unit(lambda: workflow.confirm(card_id, m.id, **confirm_kwargs()))
    with pytest.raises(ServiceError, match="修改依据"):
        run_unit(lambda: corrections.resolve(request.id, accept=True, actor="admin:2"))
    card = run_unit(lambda: corrections.resolve(request.id, accept=True, actor="admin:2",
                                                basis="党员本人电话说明"))
    db.session.expire_all()
    assert m.address == "北京市海淀区正确路8号" and m.mobile == "13900001111"
    version = db.session.scalars(select(MemberVersion).where(MemberVersion.member_id == m.id)
                                 .order_by(MemberVersion.revision.desc())).first()
    assert version.source == "correction" and version.basis == "党员本人电话说明"
    cm = cm_of(campaign.id, m.id)
    assert cm.state == PENDING and cm.card_id == card.id != card_id
    assert cards.card_content(card)["items"]["address"] == "北京市海淀区正确路8号"
    assert corrections.queue(branch) == []


def test_dispute_rejected_with_reason_reissues_same_content(app_ctx: Flask) -> None:
    campaign, members = started()
    m = members[1]
    old = cm_of(campaign.id, m.id).card
    request = run_unit(lambda: corrections.dispute(
        old.id, m.id, proposed={"joined_on": "2004-07-01"}, channel="web",
        identity="signed_link"))
    with pytest.raises(ServiceError, match="理由"):
        run_unit(lambda: corrections.resolve(request.id, accept=False, actor="admin:2"))
    card = run_unit(lambda: corrections.resolve(
        request.id, accept=False, actor="admin:2", reason="档案记载入党日期为2005年7月1日"))
    db.session.expire_all()
    request = db.session.get(CorrectionRequest, request.id)
    assert request.status == "rejected" and request.reason.startswith("档案记载")
    assert card.id != old.id and card.sha256 == old.sha256
    assert cm_of(campaign.id, m.id).state == PENDING


def test_proxy_confirm_with_attachment_and_annotation(app_ctx: Flask) -> None:
    campaign, members = started()
    m = members[0]
    card_id = cm_of(campaign.id, m.id).card_id
    run_unit(lambda: corrections.dispute(card_id, m.id, proposed={}, note="记不清",
                                         channel="wechat", identity="bound_openid"))
    with pytest.raises(ServiceError, match="确认方式"):
        workflow.proxy_confirm(campaign.id, m.id, actor="admin:3", collector_name="王采集",
                               method="fax", confirmed_on=yesterday())

    def work() -> object:
        att = store_attachment("通话录音.mp3".replace("mp3", "png"), PNG, uploaded_by="admin:3")
        return workflow.proxy_confirm(
            campaign.id, m.id, actor="admin:3", collector_name="王采集", method="phone",
            confirmed_on=date(2017, 6, 30), note="党员在外地务工", attachments=[att])

    entry = run_unit(work)
    assert cm_of(campaign.id, m.id).state == PROXY_CONFIRMED
    assert db.session.scalar(select(CorrectionRequest.status)) == "withdrawn"
    note = annotation.signature_note(m.id)
    assert note == {"text": "因外出，由信息采集员王采集于2017年6月30日通过电话确认"
                            f"（留存截图或照片备查），凭证 E{entry.seq:06d}",
                    "evidence_id": f"E{entry.seq:06d}", "entry_hash": entry.entry_hash}
    assert _entries("consent") == 0  # a collector's record is not the member's e-consent


def test_signature_note_for_electronic_confirmation(app_ctx: Flask) -> None:
    campaign, members = started()
    m = members[0]
    assert annotation.signature_note(m.id) is None
    card_id = cm_of(campaign.id, m.id).card_id
    result = run_unit(lambda: workflow.confirm(card_id, m.id, **confirm_kwargs()))
    note = annotation.signature_note(m.id)
    assert note is not None and note["evidence_id"] == f"E{result.entry.seq:06d}"
    assert note["text"].endswith(f"通过微信确认，凭证 {note['evidence_id']}")
    run_unit(lambda: workflow.edit_record(m.id, {"address": "新址2号"}, actor="admin:1", basis="x"))
    assert annotation.signature_note(m.id) is None  # the confirmed card is no longer current


def test_unreachable_needs_note_and_completes_campaign(app_ctx: Flask) -> None:
    campaign, members = started()
    with pytest.raises(ServiceError, match="情况说明"):
        workflow.mark_unreachable(campaign.id, members[0].id, actor="admin:1", note=" ")
    run_unit(lambda: workflow.mark_unreachable(campaign.id, members[0].id, actor="admin:1",
                                               note="多次电话无人接听，原住址已拆迁"))
    assert cm_of(campaign.id, members[0].id).state == UNREACHABLE
    card = run_unit(lambda: workflow.reopen(campaign.id, members[0].id, actor="admin:1"))
    assert cm_of(campaign.id, members[0].id).state == PENDING
    assert card.id == cm_of(campaign.id, members[0].id).card_id  # record unchanged: same card
    run_unit(lambda: workflow.mark_unreachable(campaign.id, members[0].id, actor="admin:1",
                                               note="仍无法联系"))
    assert not progress(campaign).complete
    for m in members[1:]:
        cid = cm_of(campaign.id, m.id).card_id
        run_unit(lambda cid=cid, m=m: workflow.confirm(cid, m.id, **confirm_kwargs()))
    done = progress(campaign)
    assert done.complete and done.counts[CONFIRMED] == len(members) - 1
    assert set(done.counts) == set(STATE_LABELS)


def test_short_code_and_signed_link_find_the_card(app_ctx: Flask) -> None:
    campaign, members = started()
    card = cm_of(campaign.id, members[0].id).card
    assert cards.find_card_by_code(card.short_code.lower()).id == card.id
    token = cards.card_token(card)
    assert cards.load_card_token(token).id == card.id
    with pytest.raises(ServiceError, match="链接无效"):
        cards.load_card_token(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    run_unit(lambda: workflow.edit_record(members[0].id, {"address": "改3号"}, actor="a",
                                          basis="b"))
    with pytest.raises(ServiceError, match="确认码"):
        cards.find_card_by_code(card.short_code)
