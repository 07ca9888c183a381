"""The WeChat client against the loopback fake: tokens, QR codes, OAuth and mini-program login."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from service.notify.channel import PermanentFailure, SendError, TokenExpired
from service.notify.wechat_client import mp_client, oa_client
from testkit.fakes.wechat import OA_APPID, FakeWeChat


def test_qrcode_uses_one_stable_token_for_many_calls(wechat_app: Any,
                                                     wechat_fake: FakeWeChat) -> None:
    with wechat_app().app_context():
        client = oa_client()
        first = client.create_qrcode("c:1:abc", 3600)
        second = client.create_qrcode("c:2:def", 3600)
    assert first["ticket"] != second["ticket"] and first["expire_seconds"] == 3600
    assert first["url"].startswith("http://weixin.qq.com/q/")
    fetches = wechat_fake.token_fetches()
    assert [f["path"] for f in fetches] == ["/cgi-bin/stable_token"]
    assert wechat_fake.qrcodes[first["ticket"]]["action_info"]["scene"]["scene_str"] == "c:1:abc"


def test_token_refused_once_is_replaced_once(wechat_app: Any, wechat_fake: FakeWeChat) -> None:
    with wechat_app().app_context():
        client = oa_client()
        client.create_qrcode("c:1:a", 60)
        wechat_fake.expire_tokens()  # e.g. another system force-refreshed the stable token
        assert client.create_qrcode("c:1:b", 60)["ticket"]
    fetches = wechat_fake.token_fetches()
    assert len(fetches) == 2
    assert [f["body"].count(b'"force_refresh": true') for f in fetches] == [0, 1]


def test_token_refused_for_ever_is_bounded(wechat_app: Any, wechat_fake: FakeWeChat) -> None:
    wechat_fake.fail("/cgi-bin/qrcode/create", 40001, forever=True)
    with wechat_app().app_context(), pytest.raises(TokenExpired):
        oa_client().create_qrcode("c:1:a", 60)
    assert len([c for c in wechat_fake.calls if c["path"] == "/cgi-bin/qrcode/create"]) == 2
    assert len(wechat_fake.token_fetches()) == 2


def test_wrong_secret_is_a_permanent_failure(wechat_app: Any, wechat_fake: FakeWeChat) -> None:
    with wechat_app(WECHAT_SECRET="wrong").app_context(), pytest.raises(PermanentFailure) as info:
        oa_client().create_qrcode("c:1:a", 60)
    assert info.value.code == "40125" and "wrong" not in info.value.message


def test_oauth_code_is_single_use(wechat_app: Any, wechat_fake: FakeWeChat) -> None:
    wechat_fake.oauth_next = "o-member-1"
    with wechat_app().app_context():
        client = oa_client()
        url = client.authorize_url("http://127.0.0.1/cb?x=1", "s1a2b3")
        parts = urlsplit(url)
        assert url.startswith(wechat_fake.url) and parts.fragment == "wechat_redirect"
        status, _, headers = wechat_fake.dispatch("GET", f"{parts.path}?{parts.query}", b"")
        assert status == 302
        back = dict(parse_qsl(urlsplit(headers["Location"]).query))
        assert back["state"] == "s1a2b3" and back["x"] == "1"
        assert client.oauth_access_token(back["code"])["openid"] == "o-member-1"
        with pytest.raises(SendError) as info:
            client.oauth_access_token(back["code"])
        assert info.value.code == "40029"


def test_code2session_needs_no_access_token(wechat_app: Any, wechat_fake: FakeWeChat) -> None:
    wechat_fake.js_code("js-1", "m-member-1")
    with wechat_app().app_context():
        client = mp_client()
        assert client.code2session("js-1")["openid"] == "m-member-1"
        with pytest.raises(SendError) as info:
            client.code2session("js-unknown")
        assert info.value.code == "40029"
    assert wechat_fake.token_fetches() == []
    assert all("access_token" not in c["query"] for c in wechat_fake.calls)


def test_normal_token_invalidates_older_ones_after_overlap() -> None:
    wechat_fake = FakeWeChat(overlap=0).start()
    try:
        q = f"/cgi-bin/token?grant_type=client_credential&appid={OA_APPID}&secret="
        first = wechat_fake.dispatch("GET", q + "oa-secret-for-loopback", b"")[1]["access_token"]
        stable = wechat_fake.dispatch("POST", "/cgi-bin/stable_token", (
            b'{"grant_type":"client_credential","appid":"%s","secret":"oa-secret-for-loopback"}'
            % OA_APPID.encode()))[1]["access_token"]
        assert wechat_fake.valid(first) == OA_APPID
        wechat_fake.dispatch("GET", q + "oa-secret-for-loopback", b"")
        assert wechat_fake.valid(first) is None and wechat_fake.valid(stable) == OA_APPID
    finally:
        wechat_fake.stop()
