"""SMS pushes in both providers' formats: receipts and member replies, each handled once,
anything unsafe to act on queued for the branch admin."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from service.campaign.campaigns import start_campaign
from service.clock import today_local
from service.evidence import ledger
from service.extensions import db
from service.models.inbox import HANDLED, IGNORED, QUEUED
from service.models.outbox import DELIVERED, FAILED, NOTICE
from service.notify import outbox, send_progress
from service.notify.channel import SendResult
from service.unit_of_work import run_unit
from testkit.factories import make_member
from testkit.inbound import (
    evidence,
    inbox_rows,
    outbox_rows,
    post_sms,
    second_card,
    sent_row,
    wechat_config,
)
from testkit.workflow import cm_of, committee, started

ALIYUN_ACK = {"code": 0, "msg": "成功"}
TENCENT_ACK = {"result": 0, "errmsg": "OK"}
_seq = itertools.count(900000)


@pytest.fixture
def app(make_app: Any) -> Iterator[Flask]:
    app = make_app(**wechat_config(NOTIFY_CHANNELS="sms_aliyun,sms_tencent"))
    with app.app_context():
        yield app


def aliyun_up(phone: str, content: str, seq: int | None = None) -> dict[str, Any]:
    return {"phone_number": phone, "content": content, "send_time": "2024-05-06 10:00:00",
            "dest_code": "8821", "sequence_id": seq if seq is not None else next(_seq)}


def aliyun_report(out_id: int, success: bool, biz_id: str, err: str = "DELIVERED") -> dict:
    return {"phone_number": "13900000000", "send_time": "2024-05-06 09:00:00",
            "report_time": "2024-05-06 09:00:05", "success": success, "err_code": err,
            "err_msg": "用户接收成功" if success else "失败", "sms_size": "1",
            "biz_id": biz_id, "out_id": str(out_id)}


def _thrice(client: Any, path: str, payload: Any, ack: dict[str, Any]) -> None:
    for _ in range(3):
        response = post_sms(client, path, payload)
        assert response.status_code == 200 and response.get_json() == ack


# ---- receipts ------------------------------------------------------------------------------

def test_aliyun_receipts_batch_posted_three_times_is_applied_once(app: Flask) -> None:
    _, members = started(1)
    ok_row = sent_row("sms_aliyun", members[0], "BIZ-1^0")
    bad_row = sent_row("sms_aliyun", members[1], "BIZ-2^0")
    batch = [aliyun_report(ok_row, True, "BIZ-1^0"),
             aliyun_report(bad_row, False, "BIZ-2^0", err="MK:0001")]
    _thrice(app.test_client(), "/sms/aliyun/receipt", batch, ALIYUN_ACK)
    rows = {r.id: r for r in outbox_rows()}
    assert rows[ok_row].state == DELIVERED
    assert rows[bad_row].state == FAILED and "MK:0001" in (rows[bad_row].last_error or "")
    fallbacks = [r for r in rows.values() if r.idempotency_key.endswith(":fb:sms_tencent")]
    assert len(fallbacks) == 1 and fallbacks[0].member_id == members[1].id
    assert len(evidence(ledger.DELIVERED)) == 1
    assert len(inbox_rows()) == 2


def test_tencent_receipts_by_session_context_or_sid(app: Flask) -> None:
    _, members = started(1)
    by_context = sent_row("sms_tencent", members[0], "sid-aaa")
    by_sid = sent_row("sms_tencent", members[1], "sid-bbb")
    batch = [
        {"user_receive_time": "2024-05-06 09:00:05", "nationcode": "86",
         "mobile": members[0].mobile, "report_status": "SUCCESS", "errmsg": "DELIVRD",
         "description": "用户短信接收成功", "sid": "sid-aaa", "SessionContext": str(by_context)},
        {"user_receive_time": "2024-05-06 09:00:06", "nationcode": "86",
         "mobile": members[1].mobile, "report_status": "SUCCESS", "errmsg": "DELIVRD",
         "description": "用户短信接收成功", "sid": "sid-bbb"},
    ]
    _thrice(app.test_client(), "/sms/tencent/receipt", batch, TENCENT_ACK)
    states = {r.id: r.state for r in outbox_rows()}
    assert states[by_context] == DELIVERED and states[by_sid] == DELIVERED
    assert len(evidence(ledger.DELIVERED)) == 2


def test_a_receipt_before_the_send_is_recorded_is_left_for_the_re_push(app: Flask) -> None:
    _, members = started(1)
    cm = cm_of(*_first_membership(members[0]))
    row = run_unit(lambda: outbox.enqueue("card", channel="sms_aliyun", key="early:1",
                                          member_id=members[0].id, card_id=cm.card_id))
    row_id = row.id
    client = app.test_client()
    early = post_sms(client, "/sms/aliyun/receipt", [aliyun_report(row_id, True, "B-9")])
    assert early.status_code == 503 and early.get_json()["code"] != 0
    assert inbox_rows() == []
    run_unit(lambda: outbox.mark_sent(row_id, SendResult("B-9")))
    _thrice(client, "/sms/aliyun/receipt", [aliyun_report(row_id, True, "B-9")], ALIYUN_ACK)
    assert next(r for r in outbox_rows() if r.id == row_id).state == DELIVERED
    assert len(evidence(ledger.DELIVERED)) == 1


def test_unmatched_and_unreadable_receipts_are_kept_and_acknowledged(app: Flask) -> None:
    batch = [aliyun_report(987654, True, "B-0"), {"nonsense": True}, "just a string"]
    _thrice(app.test_client(), "/sms/aliyun/receipt", batch, ALIYUN_ACK)
    rows = inbox_rows()
    assert len(rows) == 3 and {r.status for r in rows} == {IGNORED} and all(r.note for r in rows)


@pytest.mark.parametrize("path", ["/sms/aliyun/receipt", "/sms/aliyun/reply",
                                  "/sms/tencent/receipt", "/sms/tencent/reply"])
def test_pushes_need_the_shared_token_and_json(app: Flask, path: str) -> None:
    client = app.test_client()
    assert post_sms(client, path, [], token=None).status_code == 403
    assert post_sms(client, path, [], token="guess").status_code == 403
    assert post_sms(client, path, b"{not json").status_code == 400
    assert inbox_rows() == []
    single = post_sms(client, path, b'{"an": "object"}')
    if path == "/sms/tencent/reply":  # Tencent pushes one object: kept, queued as unreadable
        assert single.status_code == 200 and [r.status for r in inbox_rows()] == [QUEUED]
    else:
        assert single.status_code == 400 and inbox_rows() == []


def test_pushes_are_closed_without_a_configured_token(make_app: Any) -> None:
    client = make_app().test_client()
    assert post_sms(client, "/sms/aliyun/reply", []).status_code == 404


# ---- replies -------------------------------------------------------------------------------

def test_fullwidth_y_from_the_phone_on_record_confirms_once(app: Flask) -> None:
    campaign, members = started(1)
    member = members[0]
    batch = [aliyun_up(member.mobile, " Ｙ ")]
    _thrice(app.test_client(), "/sms/aliyun/reply", batch, ALIYUN_ACK)
    assert cm_of(campaign.id, member.id).state == "confirmed"
    confirmed = evidence(ledger.CONFIRMED, member.id)
    assert len(confirmed) == 1 and confirmed[0].identity == "sms_phone"
    assert confirmed[0].channel == "sms"
    rows = inbox_rows()
    assert len(rows) == 1 and rows[0].status == HANDLED and rows[0].member_id == member.id


def test_tencent_reply_object_confirms(app: Flask) -> None:
    campaign, members = started(1)
    member = members[1]
    push = {"extend": "", "mobile": member.mobile, "nationcode": "86", "sign": "党员信息",
            "text": "y", "time": 1714960000}
    _thrice(app.test_client(), "/sms/tencent/reply", push, TENCENT_ACK)
    assert cm_of(campaign.id, member.id).state == "confirmed"
    assert len(evidence(ledger.CONFIRMED, member.id)) == 1


def test_multi_item_reply_batch_queues_what_it_cannot_match(app: Flask) -> None:
    campaign, members = started(1)
    batch = [aliyun_up("13812345678", "1"),  # nobody's phone
             aliyun_up(members[0].mobile, "好的，谢谢"),  # not an answer
             aliyun_up(members[1].mobile, "1")]
    _thrice(app.test_client(), "/sms/aliyun/reply", batch, ALIYUN_ACK)
    rows = inbox_rows()
    assert [r.status for r in rows] == [QUEUED, QUEUED, HANDLED]
    assert rows[0].org_id is None and rows[0].member_id is None and rows[0].note
    assert rows[1].org_id == members[0].org_id and rows[1].member_id == members[0].id
    assert cm_of(campaign.id, members[0].id).state == "pending"
    assert cm_of(campaign.id, members[1].id).state == "confirmed"


def test_one_phone_for_two_members_queues_unless_a_code_says_whose(app: Flask) -> None:
    root, branches, members = committee(1)
    spouse = make_member(branches[0], mobile=members[0].mobile)
    db.session.commit()
    campaign = run_unit(lambda: start_campaign(root, today_local() + timedelta(days=30),
                                               actor="admin:1"))
    client = app.test_client()
    _thrice(client, "/sms/aliyun/reply", [aliyun_up(spouse.mobile, "1")], ALIYUN_ACK)
    queued = inbox_rows()[0]
    assert queued.status == QUEUED and "2名党员" in (queued.note or "")
    assert queued.org_id == branches[0].id
    code = cm_of(campaign.id, spouse.id).card.open_code
    _thrice(client, "/sms/aliyun/reply", [aliyun_up(spouse.mobile, f"{code} 1")], ALIYUN_ACK)
    assert cm_of(campaign.id, spouse.id).state == "confirmed"
    assert cm_of(campaign.id, members[0].id).state == "pending"


def test_several_cards_need_the_code(app: Flask) -> None:
    first, members = started(1)
    member = members[0]
    second = second_card(member)
    client = app.test_client()
    _thrice(client, "/sms/aliyun/reply", [aliyun_up(member.mobile, "1")], ALIYUN_ACK)
    assert inbox_rows()[0].status == QUEUED and "2项" in (inbox_rows()[0].note or "")
    code = cm_of(second.id, member.id).card.open_code
    _thrice(client, "/sms/aliyun/reply", [aliyun_up(member.mobile, f"1 {code.lower()}")],
            ALIYUN_ACK)
    assert cm_of(second.id, member.id).state == "confirmed"
    assert cm_of(first.id, member.id).state == "pending"
    _thrice(client, "/sms/aliyun/reply", [aliyun_up(member.mobile, "1 ZZZZZZ")], ALIYUN_ACK)
    assert inbox_rows()[-1].status == QUEUED


def test_a_no_answer_gets_the_dispute_link_by_sms_once(app: Flask) -> None:
    campaign, members = started(1)
    member = members[0]
    before = len(outbox_rows())
    _thrice(app.test_client(), "/sms/aliyun/reply", [aliyun_up(member.mobile, "Ｎ")], ALIYUN_ACK)
    new = outbox_rows()[before:]
    assert len(new) == 1
    notice = new[0]
    assert notice.kind == NOTICE and notice.channel == "sms_aliyun"
    assert notice.member_id == member.id and notice.payload["audience"] == "member"
    assert notice.payload["link"].endswith("/dispute") and notice.payload["link"] in \
        notice.payload["text"]
    assert cm_of(campaign.id, member.id).state == "pending"


def test_replies_never_put_the_phone_in_logs_or_clear_columns(
    app: Flask, caplog: pytest.LogCaptureFixture,
) -> None:
    _, members = started(1)
    phone = members[0].mobile
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    post_sms(client, "/sms/aliyun/reply", [aliyun_up(phone, "你好")])
    post_sms(client, "/sms/tencent/reply", {"mobile": phone, "nationcode": "86", "text": "1",
                                            "time": 1714960001, "sign": "x", "extend": ""})
    assert phone not in caplog.text
    for row in inbox_rows():
        assert phone not in f"{row.dedupe_key}{row.note}{row.kind}{row.sender_bidx}"
        assert phone in row.raw  # kept, encrypted at rest


def _first_membership(member: Any) -> tuple[int, int]:
    from service.campaign import outstanding

    cm = outstanding.awaiting(member.id)[0]
    return cm.campaign_id, member.id


def test_concurrent_re_pushes_of_one_reply_confirm_once(app: Flask) -> None:
    import threading

    campaign, members = started(1)
    member = members[0]
    batch = [aliyun_up(member.mobile, "1")]
    answers: list[Any] = []

    def push() -> None:
        answers.append(post_sms(app.test_client(), "/sms/aliyun/reply", batch).get_json())

    threads = [threading.Thread(target=push) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [ALIYUN_ACK] * 3
    assert len(evidence(ledger.CONFIRMED, member.id)) == 1
    assert len(inbox_rows()) == 1 and cm_of(campaign.id, member.id).state == "confirmed"


def test_a_receipt_settles_a_row_whose_worker_died_after_the_provider_took_it(
        app: Flask) -> None:
    # The sender kept the provider's answer (sent_at, the provider id) and died before its
    # batch was recorded: the receipt moves the row to delivered, so no lease takeover
    # sends it again, and the "sent" entry is written once.
    _, members = started(1)
    cm = cm_of(*_first_membership(members[0]))
    row = run_unit(lambda: outbox.enqueue("card", channel="sms_tencent", key="kept:1",
                                          member_id=members[0].id, card_id=cm.card_id))
    row_id = row.id
    token = run_unit(lambda: outbox.claim_batch(10, "doomed")).token
    assert run_unit(lambda: send_progress.note_started(row_id, token))
    run_unit(lambda: send_progress.note_accepted(row_id, SendResult("T-77")))
    response = post_sms(app.test_client(), "/sms/tencent/receipt", [
        {"user_receive_time": "2024-05-06 09:00:05", "nationcode": "86",
         "mobile": "13900000000", "report_status": "SUCCESS", "errmsg": "DELIVRD",
         "description": "用户短信送达成功", "sid": "T-77"}])
    assert response.get_json() == TENCENT_ACK
    assert next(r for r in outbox_rows() if r.id == row_id).state == DELIVERED
    assert len(evidence(ledger.CARD_SENT)) == len(evidence(ledger.DELIVERED)) == 1
    assert run_unit(lambda: outbox.claim(10, "next")) == []
