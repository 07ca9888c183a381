"""WeChat commands and events through the real callback: each push posted three times, handled
once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from service.evidence import ledger
from service.extensions import db
from service.identity.binding_links import load_binding_token
from service.models import ChannelBinding
from service.models.inbox import QUEUED
from service.models.outbox import DELIVERED, FAILED
from testkit.inbound import (
    bind,
    event_xml,
    evidence,
    inbox_rows,
    outbox_rows,
    popup_xml,
    post_wechat,
    reply_content,
    second_card,
    sent_row,
    text_xml,
)
from testkit.inbound import wechat_config as config
from testkit.workflow import cm_of, started


@pytest.fixture
def app(make_app: Any) -> Iterator[Flask]:
    app = make_app(**config(NOTIFY_CHANNELS="wechat_oa,sms_aliyun"))
    with app.app_context():
        yield app


def _thrice(client: Any, xml: str) -> list[str | None]:
    return [reply_content(post_wechat(client, xml)) for _ in range(3)]


def _binding(openid: str) -> ChannelBinding:
    db.session.expire_all()
    row = db.session.scalar(select(ChannelBinding).where(ChannelBinding.openid == openid))
    assert row is not None
    return row


def test_confirm_posted_three_times_confirms_once(app: Flask) -> None:
    campaign, members = started(1)
    member = members[0]
    bind(member, "o-member-1")
    xml = text_xml("o-member-1", "确认")
    replies = _thrice(app.test_client(), xml)
    assert replies[0] and "确认成功" in replies[0]
    assert replies[1] == replies[0] == replies[2]  # a retry gets the same answer
    assert cm_of(campaign.id, member.id).state == "confirmed"
    confirmed = evidence(ledger.CONFIRMED, member.id)
    assert len(confirmed) == 1 and confirmed[0].evidence_id in replies[0]
    assert len(inbox_rows()) == 1


def test_concurrent_retries_of_one_message_change_state_once(app: Flask) -> None:
    campaign, members = started(1)
    member = members[0]
    bind(member, "o-race")
    xml = text_xml("o-race", "1")
    statuses: list[int] = []

    def post() -> None:
        statuses.append(post_wechat(app.test_client(), xml).status_code)

    threads = [threading.Thread(target=post) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200, 200, 200]
    assert len(evidence(ledger.CONFIRMED, member.id)) == 1
    assert len(inbox_rows()) == 1


def test_several_cards_ask_which_and_a_code_picks_one(make_app: Any) -> None:
    app = make_app(**config())
    with app.app_context():
        first, members = started(1)
        member = members[0]
        bind(member, "o-two")
        second = second_card(member)
        client = app.test_client()
        ask = reply_content(post_wechat(client, text_xml("o-two", "确认")))
        assert ask and "2项信息待确认" in ask
        assert cm_of(first.id, member.id).state == "pending"
        code = cm_of(second.id, member.id).card.open_code
        done = reply_content(post_wechat(client, text_xml("o-two", f"确认 {code}")))
        assert done and "确认成功" in done
        assert cm_of(second.id, member.id).state == "confirmed"
        assert cm_of(first.id, member.id).state == "pending"
        wrong = reply_content(post_wechat(client, text_xml("o-two", "确认 ZZZZZZ")))
        assert wrong and "确认码不正确" in wrong


def test_dispute_query_help_and_unknown_text(app: Flask) -> None:
    campaign, members = started(1)
    member = members[0]
    bind(member, "o-3")
    client = app.test_client()
    card = cm_of(campaign.id, member.id).card
    dispute = reply_content(post_wechat(client, text_xml("o-3", "有误")))
    assert dispute and dispute.rstrip().endswith("/dispute") and "/s/" in dispute
    query = reply_content(post_wechat(client, text_xml("o-3", "查询")))
    assert query and "待确认" in query and card.short_code in query
    assert "确认" in (reply_content(post_wechat(client, text_xml("o-3", "帮助"))) or "")
    unknown = reply_content(post_wechat(client, text_xml("o-3", "我的电话换号了")))
    assert unknown and "转给党支部" in unknown
    queued = [r for r in inbox_rows() if r.status == QUEUED]
    assert len(queued) == 1 and queued[0].org_id == member.org_id and queued[0].note
    assert cm_of(campaign.id, member.id).state == "pending"  # none of these changed it


def test_fullwidth_and_menu_click_commands(app: Flask) -> None:
    campaign, members = started(1)
    member = members[0]
    bind(member, "o-4")
    click = reply_content(post_wechat(app.test_client(),
                                      event_xml("o-4", "CLICK", EventKey="QUERY")))
    assert click and "待确认" in click
    reply = reply_content(post_wechat(app.test_client(), text_xml("o-4", " １。")))
    assert reply and "确认成功" in reply
    assert cm_of(campaign.id, member.id).state == "confirmed"


@pytest.mark.parametrize("event,fields,scene", [
    ("subscribe", {}, ""),
    ("subscribe", {"EventKey": "qrscene_m42", "Ticket": "t"}, "m42"),
    ("SCAN", {"EventKey": "o7", "Ticket": "t"}, "o7"),
])
def test_follow_and_scan_answer_with_a_binding_link(
    app: Flask, event: str, fields: dict[str, str], scene: str,
) -> None:
    replies = _thrice(app.test_client(), event_xml("o-new", event, **fields))
    assert replies[0] and "/bind/" in replies[0]
    token = replies[0].split("/bind/")[1].split()[0]
    assert load_binding_token(token) == {"channel": "wechat_oa", "openid": "o-new",
                                         "scene": scene}
    assert replies[1] is None and replies[2] is None  # retries: "success", nothing new
    assert len(inbox_rows()) == 1


def test_follow_state_tracks_subscribe_and_unsubscribe(app: Flask) -> None:
    _, members = started(1)
    bind(members[0], "o-5", following=True)
    client = app.test_client()
    assert _thrice(client, event_xml("o-5", "unsubscribe")) == [None, None, None]
    assert _binding("o-5").following is False
    welcome = _thrice(client, event_xml("o-5", "subscribe"))[0]
    assert welcome and members[0].name in welcome and "/bind/" not in welcome
    assert _binding("o-5").following is True
    assert len(inbox_rows()) == 2


def test_subscription_popup_counts_accepted_grants_once(app: Flask) -> None:
    _, members = started(1)
    bind(members[0], "o-6")
    xml = popup_xml("o-6", [("TPL_A", "accept"), ("TPL_B", "reject"), ("TPL_C", "accept")])
    assert _thrice(app.test_client(), xml) == [None, None, None]
    assert _binding("o-6").subscribe_grants == 2
    single = popup_xml("o-6", [("TPL_A", "accept")])
    _thrice(app.test_client(), single)
    assert _binding("o-6").subscribe_grants == 3


def test_template_finish_success_is_delivery_evidence_once(app: Flask) -> None:
    _, members = started(1)
    member = members[0]
    row_id = sent_row("wechat_oa", member, "2001638360")
    xml = event_xml("o-7", "TEMPLATESENDJOBFINISH", MsgID="2001638360", Status="success")
    assert _thrice(app.test_client(), xml) == [None, None, None]
    row = next(r for r in outbox_rows() if r.id == row_id)
    assert row.state == DELIVERED
    assert len(evidence(ledger.DELIVERED, member.id)) == 1


def test_template_finish_user_block_falls_back_to_sms_once(app: Flask) -> None:
    _, members = started(1)
    member = members[0]
    row_id = sent_row("wechat_oa", member, "2001638361")
    xml = event_xml("o-8", "TEMPLATESENDJOBFINISH", MsgID="2001638361",
                    Status="failed:user block")
    _thrice(app.test_client(), xml)
    rows = outbox_rows()
    row = next(r for r in rows if r.id == row_id)
    assert row.state == FAILED and "user block" in (row.last_error or "")
    fallbacks = [r for r in rows if r.idempotency_key.endswith(":fb:sms_aliyun")]
    assert len(fallbacks) == 1 and fallbacks[0].member_id == member.id
    assert evidence(ledger.DELIVERED, member.id) == []


def test_an_unknown_template_receipt_is_kept_not_acted_on(app: Flask) -> None:
    xml = event_xml("o-9", "TEMPLATESENDJOBFINISH", MsgID="999", Status="success")
    assert reply_content(post_wechat(app.test_client(), xml)) is None
    rows = inbox_rows()
    assert len(rows) == 1 and rows[0].status == "ignored"
