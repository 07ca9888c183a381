"""WeChat web OAuth (snsapi_base) against the loopback WeChat fake."""

from __future__ import annotations

import http.client
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from flask import Flask

from service.campaign.outstanding import awaiting
from service.extensions import db
from service.links import card_link
from service.models import Card, ChannelBinding, Member
from service.models.channel import BY_ADMIN, WECHAT_OA
from testkit.fakes.wechat import FakeWeChat, wechat_config
from testkit.workflow import started
from tests.binding_helpers import path_of, text

OPENID = "oOAuth-member-1"


@pytest.fixture
def wx_app(make_app: Callable[..., Flask], wechat_fake: FakeWeChat) -> Flask:
    return make_app(**wechat_config(wechat_fake.url))


def _bind(member: Member, openid: str = OPENID) -> None:
    db.session.add(ChannelBinding(member_id=member.id, channel=WECHAT_OA, openid=openid,
                                  method=BY_ADMIN, following=True, subscribe_grants=0))
    db.session.commit()


def _wechat(url: str) -> str:
    """Open WeChat's authorize page as the phone would; return where it sends us back."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.netloc, timeout=5)
    try:
        conn.request("GET", f"{parts.path}?{parts.query}")
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 302, answer.status
        return str(answer.getheader("Location"))
    finally:
        conn.close()


def _round_trip(client: Any, next_path: str | None = None) -> tuple[str, Any]:
    start = client.get("/wechat/oauth/start" + (f"?next={quote(next_path)}" if next_path else ""))
    assert start.status_code == 302
    callback = path_of(_wechat(start.headers["Location"]))
    assert callback.startswith("/wechat/oauth/callback?")
    return callback, client.get(callback)


def _card_path(member: Member) -> str:
    card = db.session.get(Card, awaiting(member.id)[0].card_id)
    return path_of(card_link(card))


def test_a_bound_openid_goes_to_its_card_verified(wx_app: Flask, wechat_fake: FakeWeChat) -> None:
    client = wx_app.test_client()
    with wx_app.app_context():
        _, members = started()
        _bind(members[0])
        wechat_fake.oauth_next = OPENID
        start = client.get("/wechat/oauth/start")
        authorize = start.headers["Location"]
        query = parse_qs(urlsplit(authorize).query)
        assert authorize.startswith(wechat_fake.url.rstrip("/") + "/connect/oauth2/authorize?")
        assert query["scope"] == ["snsapi_base"] and len(query["state"][0]) == 32
        assert authorize.endswith("#wechat_redirect")
        callback = path_of(_wechat(authorize))
        done = client.get(callback)
        assert done.status_code == 302 and done.headers["Location"] == _card_path(members[0])
        with client.session_transaction() as session:
            assert session["member_verified"]["id"] == members[0].id
            assert session["member_verified"]["how"] == "bound_openid"
            assert session["wechat_openid"] == {WECHAT_OA: OPENID}


def test_a_code_or_state_cannot_be_used_twice(wx_app: Flask, wechat_fake: FakeWeChat) -> None:
    client = wx_app.test_client()
    with wx_app.app_context():
        _, members = started()
        _bind(members[0])
        wechat_fake.oauth_next = OPENID
        callback, first = _round_trip(client)
        assert first.status_code == 302
        replay = client.get(callback)  # the state was spent with the first use
        assert replay.status_code == 403 and "授权请求已失效" in text(replay)
        # A fresh state with the spent code: WeChat refuses the code (40029).
        client.get("/wechat/oauth/start")
        with client.session_transaction() as session:
            fresh_state = session["wechat_oauth"]["state"]
        code = parse_qs(urlsplit(callback).query)["code"][0]
        reused = client.get(f"/wechat/oauth/callback?code={code}&state={fresh_state}")
        assert reused.status_code == 400 and "授权只能使用一次" in text(reused)


def test_a_state_that_does_not_match_is_refused(wx_app: Flask, wechat_fake: FakeWeChat) -> None:
    client = wx_app.test_client()
    with wx_app.app_context():
        _, members = started()
        _bind(members[0])
        wechat_fake.oauth_next = OPENID
        start = client.get("/wechat/oauth/start")
        callback = path_of(_wechat(start.headers["Location"]))
        forged = callback.rsplit("state=", 1)[0] + "state=" + "0" * 32
        answer = client.get(forged)
        assert answer.status_code == 403
        with client.session_transaction() as session:
            assert "wechat_openid" not in session and "member_verified" not in session
        # Without any state of ours at all (someone else's link), likewise.
        other = wx_app.test_client()
        assert other.get(callback).status_code == 403


@pytest.mark.parametrize("target", ["https://evil.example/m/x", "//evil.example/m/x",
                                    "/\\evil.example", "http:/evil.example", "/m/x\n/evil"])
def test_next_never_leaves_the_site(wx_app: Flask, wechat_fake: FakeWeChat, target: str) -> None:
    client = wx_app.test_client()
    with wx_app.app_context():
        _, members = started()
        _bind(members[0])
        wechat_fake.oauth_next = OPENID
        _, done = _round_trip(client, target)
        assert done.status_code == 302
        assert done.headers["Location"] == _card_path(members[0])


def test_a_same_site_next_is_followed(wx_app: Flask, wechat_fake: FakeWeChat) -> None:
    client = wx_app.test_client()
    with wx_app.app_context():
        _, members = started()
        _bind(members[0])
        wechat_fake.oauth_next = OPENID
        _, done = _round_trip(client, "/m/some-card/dispute")
        assert done.headers["Location"] == "/m/some-card/dispute"


def test_an_unbound_openid_is_told_how_to_bind(wx_app: Flask, wechat_fake: FakeWeChat) -> None:
    client = wx_app.test_client()
    with wx_app.app_context():
        started()
        wechat_fake.oauth_next = "oNobody"
        _, page = _round_trip(client)
        assert page.status_code == 200 and "尚未绑定党员身份" in text(page)
        with client.session_transaction() as session:
            assert session["wechat_openid"] == {WECHAT_OA: "oNobody"}
            assert "member_verified" not in session


def test_a_bound_member_with_nothing_to_confirm_sees_a_clear_page(
    wx_app: Flask, wechat_fake: FakeWeChat,
) -> None:
    client = wx_app.test_client()
    with wx_app.app_context():
        _, members = started(submit=False)
        _bind(members[0])
        wechat_fake.oauth_next = OPENID
        _, page = _round_trip(client)
        assert page.status_code == 200 and "没有需要确认的信息" in text(page)
        assert members[0].name in text(page)


def test_without_wechat_configured_oauth_is_refused_plainly(client: Any) -> None:
    answer = client.get("/wechat/oauth/start?next=/m/x")
    assert answer.status_code == 400 and "短信验证码" in text(answer)
