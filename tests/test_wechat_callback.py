"""The WeChat callback's door: signatures, safe mode, AppID, safe XML, size, and no state change
for anything refused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from service.identity.binding_links import load_binding_token
from testkit.inbound import (
    APPID,
    TOKEN,
    inbox_rows,
    post_wechat,
    reply_content,
    sha1_signature,
    text_xml,
)
from testkit.inbound import wechat_config as config

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>"""


@pytest.fixture
def safe(make_app: Any) -> Iterator[Flask]:
    app = make_app(**config())
    with app.app_context():
        yield app


@pytest.fixture
def plain(make_app: Any) -> Iterator[Flask]:
    app = make_app(**config(aes=False))
    with app.app_context():
        yield app


def _verify_query(token: str = TOKEN) -> dict[str, str]:
    return {"signature": sha1_signature(token, "1700000000", "n1"), "timestamp": "1700000000",
            "nonce": "n1", "echostr": "echo-4711"}


def test_get_echoes_only_for_our_signature(safe: Flask) -> None:
    client = safe.test_client()
    ok = client.get("/wechat/callback", query_string=_verify_query())
    assert ok.status_code == 200 and ok.get_data(as_text=True) == "echo-4711"
    forged = client.get("/wechat/callback", query_string=_verify_query("other-token"))
    assert forged.status_code == 403 and b"echo-4711" not in forged.data


def test_callback_is_closed_until_a_token_is_configured(make_app: Any) -> None:
    client = make_app().test_client()
    assert client.get("/wechat/callback", query_string=_verify_query()).status_code == 404


def test_a_text_in_safe_mode_gets_an_encrypted_reply(safe: Flask) -> None:
    response = post_wechat(safe.test_client(), text_xml("o-stranger", "你好"))
    content = reply_content(response)
    assert content and "/bind/" in content
    token = content.split("/bind/")[1].split()[0]
    assert load_binding_token(token)["openid"] == "o-stranger"
    assert len(inbox_rows()) == 1


@pytest.mark.parametrize("case", ["signature", "msg_signature", "appid", "plaintext", "stale"])
def test_forged_or_foreign_pushes_are_refused_without_a_trace(safe: Flask, case: str) -> None:
    client = safe.test_client()
    xml = text_xml("o-1", "确认")
    if case == "signature":
        response = post_wechat(client, xml, token="not-our-token")
    elif case == "msg_signature":
        now = str(int(time.time()))
        response = client.post("/wechat/callback", query_string={
            "signature": sha1_signature(TOKEN, now, "n"), "timestamp": now, "nonce": "n",
            "encrypt_type": "aes", "msg_signature": "0" * 40},
            data="<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>", content_type="text/xml")
    elif case == "stale":  # a correctly signed push replayed ten minutes later
        response = post_wechat(client, xml, timestamp=str(int(time.time()) - 600))
    elif case == "appid":
        response = post_wechat(client, xml, appid="wx_someone_else")
    else:
        response = post_wechat(client, xml, aes=False)
    assert response.status_code == 403
    assert inbox_rows() == []


@pytest.mark.parametrize("body", [
    b"<xml><FromUserName>o1</FromUserName>",  # truncated
    b"not xml at all",
    b"<xml><ToUserName>gh</ToUserName></xml>",  # no sender, type or time
    "<xml>\u00e9</xml>".encode("latin-1"),  # not UTF-8
    b'<?xml version="1.0" encoding="UTF-16"?><xml/>',
])
def test_malformed_plaintext_is_a_400_with_no_state_change(plain: Flask, body: bytes) -> None:
    response = post_wechat(plain.test_client(), "", aes=False, body=body)
    assert response.status_code == 400
    assert inbox_rows() == []


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entity_tricks_are_refused_in_the_clear_and_inside_the_envelope(
    plain: Flask, make_app: Any, xml: str,
) -> None:
    assert post_wechat(plain.test_client(), xml, aes=False).status_code == 400
    safe_app = make_app(**config())
    with safe_app.app_context():
        assert post_wechat(safe_app.test_client(), xml).status_code == 400
        # and as the outer envelope itself
        response = post_wechat(safe_app.test_client(), "", body=xml.encode())
        assert response.status_code in (400, 403)
    assert inbox_rows() == []


def test_an_undecryptable_envelope_is_a_400(safe: Flask) -> None:
    encrypted = "bm90LXJlYWxseS1hZXM="
    now = str(int(time.time()))
    response = safe.test_client().post("/wechat/callback", query_string={
        "signature": sha1_signature(TOKEN, now, "n"), "timestamp": now, "nonce": "n",
        "encrypt_type": "aes", "msg_signature": sha1_signature(TOKEN, now, "n", encrypted)},
        data=f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>", content_type="text/xml")
    assert response.status_code == 400
    assert inbox_rows() == []


def test_an_oversized_body_is_refused_before_parsing(make_app: Any) -> None:
    app = make_app(**config(aes=False, WECHAT_CALLBACK_MAX_BYTES=2048))
    with app.app_context():
        xml = text_xml("o-1", "确" * 2000)
        assert post_wechat(app.test_client(), xml, aes=False).status_code == 413
        assert inbox_rows() == []


def test_plaintext_mode_works_when_no_aes_key_is_set(plain: Flask) -> None:
    response = post_wechat(plain.test_client(), text_xml("o-2", "帮助"), aes=False)
    content = reply_content(response, aes=False)
    assert content and "/bind/" in content
    assert APPID not in response.get_data(as_text=True)
