"""WeChat channels through the real dispatcher against the loopback WeChat and Aliyun fakes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from service.clock import now_utc
from service.evidence import ledger
from service.extensions import db
from service.models import ChannelBinding, EvidenceEntry, SubscribeGrantUse
from service.models.outbox import DEAD, FAILED, NOTICE, PENDING, SENT
from service.notify import outbox
from service.notify.dispatch import drain
from service.unit_of_work import run_unit
from testkit.fakes.aliyun import FakeAliyunSms
from testkit.fakes.wechat import (
    MP_CARD,
    SUB_CARD,
    TPL_CARD,
    TPL_NOTICE,
    FakeWeChat,
    wechat_config,
)
from testkit.sms import sms_config
from tests.wechat_helpers import WECHAT_MP, bound_campaign, mp_openid, oa_openid, outbox_rows

TEMPLATE = "/cgi-bin/message/template/send"
BIZSEND = "/cgi-bin/message/subscribe/bizsend"
MINI = "/cgi-bin/message/subscribe/send"


@pytest.fixture
def wx(wechat_fake: FakeWeChat) -> FakeWeChat:
    return wechat_fake  # conftest's fake, under this file's short name


@pytest.fixture
def wx_app(make_app: Callable[..., Flask], wx: FakeWeChat,
           ali: FakeAliyunSms) -> Callable[..., Flask]:
    def make(channels: str = "wechat_oa,sms_aliyun", **extra: Any) -> Flask:
        settings = {**sms_config(ali.url, None, channels), **wechat_config(wx.url), **extra}
        return make_app(**settings)
    return make


def _sent_entries() -> int:
    return db.session.scalar(select(func.count()).select_from(EvidenceEntry)
                             .where(EvidenceEntry.kind == ledger.CARD_SENT)) or 0


def _send_calls(wx: FakeWeChat, path: str) -> int:
    return len([c for c in wx.calls if c["path"] == path])


def test_card_goes_out_as_a_template_message(wx_app: Any, wx: FakeWeChat) -> None:
    with wx_app().app_context():
        members = bound_campaign(wx)
        assert drain("w", once=True) == {"sent": 2}
        rows = outbox_rows()
        by_user = {r["touser"]: r for r in wx.sent(TEMPLATE)}
        assert set(by_user) == {oa_openid(m) for m in members}
        for member in members:
            sent = by_user[oa_openid(member)]
            row = next(r for r in rows if r.member_id == member.id)
            values = {k: v["value"] for k, v in sent["data"].items()}
            assert row.state == SENT and row.provider_msg_id == str(sent["msgid"])
            assert sent["template_id"] == TPL_CARD and "/s/" in sent["url"]
            assert all(len(v) <= 20 and "\n" not in v for v in values.values())
            assert values["thing1"] == member.name
            assert values["character_string2"] == (
                member.id_number[:4] + "*" * 10 + member.id_number[-4:])
            assert values["phone_number3"] == member.mobile[:3] + "****" + member.mobile[-4:]
            assert member.id_number not in str(sent["body"])
            assert member.mobile not in str(sent["body"])
        assert _sent_entries() == 2
    assert [f["path"] for f in wx.token_fetches()] == ["/cgi-bin/stable_token"]


def test_token_refused_once_refreshes_once_and_sends(wx_app: Any, wx: FakeWeChat) -> None:
    # One send at a time: with two in flight, the other card may go out with the old token
    # after the refresh and be refused too (four calls), which is right but not this count.
    with wx_app(NOTIFY_SEND_CONCURRENCY=1).app_context():
        bound_campaign(wx)
        wx.fail(TEMPLATE, 40001)
        assert drain("w", once=True) == {"sent": 2}
        assert _send_calls(wx, TEMPLATE) == 3  # the refused one, its retry, the other card
        assert len(wx.token_fetches()) == 2
        assert b'"force_refresh": true' in wx.token_fetches()[1]["body"]


def test_token_refused_for_ever_is_bounded_and_retried_later(wx_app: Any,
                                                             wx: FakeWeChat) -> None:
    with wx_app().app_context():
        bound_campaign(wx)
        wx.fail(TEMPLATE, 40001, forever=True)
        assert drain("w", once=True) == {"pending": 2}
        assert _send_calls(wx, TEMPLATE) == 4  # one try and one retry per message
        for row in outbox_rows():
            assert row.state == PENDING and row.attempts == 1 and "40001" in row.last_error
            assert 50 < (row.next_attempt_at - now_utc()).total_seconds() <= 60
        # The second message found the token the first one forced, then forced once more.
        assert len(wx.token_fetches()) <= 4


def test_not_following_falls_back_to_sms(wx_app: Any, wx: FakeWeChat,
                                         ali: FakeAliyunSms) -> None:
    with wx_app().app_context():
        members = bound_campaign(wx)
        for m in members:  # unfollowed after binding; our row has not heard of it yet
            wx.follower(oa_openid(m), following=False)
        assert drain("w", once=True) == {"fell_back": 2, "sent": 2}
        rows = outbox_rows()
        assert [(r.channel, r.state) for r in rows] == [
            ("wechat_oa", FAILED), ("wechat_oa", FAILED), ("sms_aliyun", SENT),
            ("sms_aliyun", SENT)]
        assert all("43004" in r.last_error for r in rows[:2])
        assert {r["phone"] for r in ali.requests} == {m.mobile for m in members}
        assert _sent_entries() == 2


def test_mini_program_refusal_falls_back(wx_app: Any, wx: FakeWeChat,
                                         ali: FakeAliyunSms) -> None:
    with wx_app("wechat_mp,sms_aliyun").app_context():
        members = bound_campaign(wx, channel=WECHAT_MP)
        wx.mini_user(mp_openid(members[0]), grants={MP_CARD: 1})
        assert drain("w", once=True) == {"sent": 2, "fell_back": 1}
        (sent,) = wx.sent(MINI)
        assert sent["touser"] == mp_openid(members[0])
        assert sent["page"].startswith("pages/card/index?token=")
        assert sent["body"]["miniprogram_state"] == "formal"
        assert [r["phone"] for r in ali.requests] == [members[1].mobile]
        failed = next(r for r in outbox_rows() if r.state == FAILED)
        assert "43101" in failed.last_error


def test_quota_defers_without_spending_an_attempt(wx_app: Any, wx: FakeWeChat) -> None:
    with wx_app().app_context():
        bound_campaign(wx)
        wx.fail(TEMPLATE, 45009)
        assert drain("w", once=True) == {"pending": 1, "sent": 1}
        row = next(r for r in outbox_rows() if r.state == PENDING)
        assert row.attempts == 0 and "45009" in row.last_error
        assert (row.next_attempt_at - now_utc()).total_seconds() > 600


@pytest.mark.parametrize("fault", [{"status": 500}, {"delay": 1.0}], ids=["http500", "timeout"])
def test_outage_retries_with_backoff(wx_app: Any, wx: FakeWeChat, fault: dict[str, Any]) -> None:
    with wx_app(NOTIFY_BACKOFF_SECONDS=20, WECHAT_TIMEOUT=0.5).app_context():
        bound_campaign(wx)
        wx.fail(TEMPLATE, **fault)
        assert drain("w", once=True) == {"pending": 1, "sent": 1}
        row = next(r for r in outbox_rows() if r.state == PENDING)
        assert row.attempts == 1
        assert 15 < (row.next_attempt_at - now_utc()).total_seconds() <= 20


def test_subscription_grant_is_spent_once_across_retries(wx_app: Any, wx: FakeWeChat) -> None:
    with wx_app(WECHAT_TIMEOUT=0.5, NOTIFY_BACKOFF_SECONDS=0).app_context():
        members = bound_campaign(wx, members_per_branch=1, grants=2)
        for m in members:
            wx.grant(oa_openid(m), SUB_CARD)
        wx.fail(BIZSEND, delay=1.0)  # the first try times out after taking the grant
        assert drain("w", once=True) == {"pending": 1, "sent": 2}  # no backoff: retried
        assert [r.state for r in outbox_rows()] == [SENT, SENT]
        assert len(wx.sent(BIZSEND)) == 2 and wx.sent(TEMPLATE) == []
        grants = db.session.scalars(select(ChannelBinding.subscribe_grants)).all()
        assert sorted(grants) == [1, 1]  # one grant per message, the retry reused its own
        assert db.session.scalar(select(func.count()).select_from(SubscribeGrantUse)) == 2
        assert all(s["page"] and "/s/" in s["page"] for s in wx.sent(BIZSEND))


def test_refused_subscription_request_gives_the_grant_back(wx_app: Any, wx: FakeWeChat) -> None:
    with wx_app(WECHAT_SUBSCRIBE_CARD="SUB-UNKNOWN").app_context():
        bound_campaign(wx, grants=1)
        assert drain("w", once=True) == {"dead": 2}
        assert all("40037" in r.last_error for r in outbox_rows())
        assert db.session.scalars(select(ChannelBinding.subscribe_grants)).all() == [1, 1]
        assert db.session.scalar(select(func.count()).select_from(SubscribeGrantUse)) == 0


def test_members_without_binding_or_following_go_straight_to_sms(
        wx_app: Any, wx: FakeWeChat, ali: FakeAliyunSms) -> None:
    with wx_app().app_context():
        bound_campaign(wx, following=False)  # no grants: the account cannot reach them
        assert {r.channel for r in outbox_rows()} == {"sms_aliyun"}
        assert drain("w", once=True) == {"sent": 2}
        assert wx.calls == []


def test_unconfigured_wechat_parks_the_message(make_app: Callable[..., Flask],
                                               wx: FakeWeChat) -> None:
    with make_app(NOTIFY_CHANNELS="wechat_oa").app_context():
        bound_campaign(wx)
        assert drain("w", once=True) == {"dead": 2}
        assert all(r.state == DEAD and "WECHAT_APPID" in r.last_error for r in outbox_rows())


def test_admin_notice_goes_to_the_admins_binding(wx_app: Any, wx: FakeWeChat) -> None:
    text = "第一支部有3条党员信息异议待处理，请尽快登录管理后台核实并答复"
    with wx_app(PUBLIC_BASE_URL="https://dy.example.cn").app_context():
        admin = bound_campaign(wx)[0]  # a branch secretary is a bound party member too
        admin_id, openid = admin.id, oa_openid(admin)
        run_unit(lambda: outbox.enqueue(NOTICE, channel="wechat_oa", key="notice:t1",
                                        member_id=admin_id,
                                        payload={"to": "书记", "text": text}))
        assert drain("w", once=True) == {"sent": 3}
    (notice,) = [r for r in wx.sent(TEMPLATE) if r["template_id"] == TPL_NOTICE]
    assert notice["touser"] == openid
    assert notice["url"] == "https://dy.example.cn/admin/"
    thing = notice["data"]["thing1"]["value"]
    assert len(thing) == 20 and thing.endswith("…") and text.startswith(thing[:-1])


def test_mini_program_message_opens_the_card_page(wx_app: Any, wx: FakeWeChat) -> None:
    with wx_app("wechat_mp", WECHAT_MP_CARD_PAGE="/pages/confirm/card").app_context():
        members = bound_campaign(wx, channel=WECHAT_MP)
        for m in members:
            wx.mini_user(mp_openid(m), grants={MP_CARD: 1})
        assert drain("w", once=True) == {"sent": 2}
        for sent in wx.sent(MINI):
            member = next(m for m in members if mp_openid(m) == sent["touser"])
            assert sent["page"].startswith("pages/confirm/card?token=")
            assert sent["data"]["thing1"]["value"] == member.name
            assert member.id_number not in str(sent["body"])
