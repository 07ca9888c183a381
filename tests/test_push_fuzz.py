"""Provider pushes never answer 500: any body gets the provider's refusal or a 4xx.

Explicit cases (JSON nested 100,000 deep, 21-digit out_ids, numbers past any column, wrong
types, long strings, bytes that are not UTF-8) and hypothesis-drawn JSON and XML bodies go to
the Aliyun/Tencent receipt and reply endpoints and to the WeChat callback. A reply that reads
as a member's message but has a bad field is kept in the inbox for staff.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.models.inbox import QUEUED
from testkit.inbound import inbox_rows, post_sms, post_wechat, wechat_config

SMS_PATHS = ("/sms/aliyun/receipt", "/sms/aliyun/reply", "/sms/tencent/receipt",
             "/sms/tencent/reply")
DEEP = 100_000
HUGE = 10**21  # an out_id of 22 digits: past any BIGINT
FIELDS = ("out_id", "success", "biz_id", "err_code", "err_msg", "sid", "report_status",
          "SessionContext", "phone_number", "content", "sequence_id", "send_time", "mobile",
          "nationcode", "text", "time", "phone")


@pytest.fixture
def app(make_app: Any) -> Iterator[Flask]:
    app = make_app(**wechat_config(aes=False, NOTIFY_CHANNELS="sms_aliyun,sms_tencent"))
    with app.app_context():
        yield app


def _refused_or_answered(response: Any) -> None:
    assert response.status_code < 500 or response.status_code == 503, response.get_data()


EXPLICIT: list[Any] = [
    b"[" * DEEP + b"]" * DEEP,
    b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    b"\xff\xfe not utf-8 \xc3\x28",
    b"1" * 5000,  # past Python's int digit limit
    b"1e999999",
    [{"out_id": "1" * 21, "success": True, "biz_id": "b"}],
    [{"out_id": "9" * 21, "success": "true", "biz_id": "9" * 300, "err_code": "x" * 10_000}],
    [{"out_id": HUGE, "success": True}],
    [{"out_id": "²³", "success": True}],  # digits to str.isdigit, not to int()
    [{"sid": "s" * 500, "report_status": "SUCCESS", "SessionContext": "7" * 25}],
    [{"sid": 1, "report_status": ["SUCCESS"], "SessionContext": {"a": 1}}],
    [{"phone_number": "1" * 40, "content": "Y", "sequence_id": "9" * 400}],
    [{"phone_number": HUGE, "content": {"x": [1, 2]}, "sequence_id": HUGE}],
    {"mobile": "13900000000", "nationcode": HUGE, "text": "1" * 100_000, "time": HUGE},
    {"mobile": ["x"], "text": None},
    [None, 1, "s", [], {}, 1.5, True],
    {"not": "an array"},
    "a string",
]


@pytest.mark.parametrize("path", SMS_PATHS)
@pytest.mark.parametrize("body", EXPLICIT, ids=range(len(EXPLICIT)))
def test_sms_pushes_never_answer_500(app: Flask, path: str, body: Any) -> None:
    _refused_or_answered(post_sms(app.test_client(), path, body))


def test_a_reply_with_a_bad_field_is_kept_for_staff(app: Flask) -> None:
    client = app.test_client()
    response = post_sms(client, "/sms/aliyun/reply", [
        {"phone_number": "1" * 30, "content": "确认", "sequence_id": "9" * 400}])
    assert response.status_code == 200
    rows = inbox_rows()
    assert len(rows) == 1 and rows[0].status == QUEUED and "确认" in rows[0].raw
    # Its re-push is the same item: recorded once, not a second entry.
    post_sms(client, "/sms/aliyun/reply", [
        {"phone_number": "1" * 30, "content": "确认", "sequence_id": "9" * 400}])
    assert len(inbox_rows()) == 1


def _xml(fields: dict[str, str]) -> str:
    inner = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return f"<xml>{inner}</xml>"


WECHAT_EXPLICIT = [
    "<xml>" + "<a>" * 20_000 + "</a>" * 20_000 + "</xml>",
    _xml({"FromUserName": "o" * 60, "MsgType": "text", "CreateTime": "9" * 30,
          "Content": "确认", "MsgId": "1" * 400}),
    _xml({"FromUserName": "o1", "MsgType": "event", "CreateTime": "1",
          "Event": "e" * 300, "EventKey": "qrscene_" + "9" * 40}),
    _xml({"FromUserName": "o1", "MsgType": "event", "CreateTime": "1",
          "Event": "TEMPLATESENDJOBFINISH", "MsgID": "9" * 30, "Status": "success"}),
    _xml({"FromUserName": "o1", "MsgType": "event", "CreateTime": "1",
          "Event": "subscribe", "EventKey": "qrscene_" + "x" * 5000}),
    _xml({"FromUserName": "o1", "MsgType": "event", "CreateTime": "1", "Event": "SCAN",
          "EventKey": "9" * 25}),
    _xml({"FromUserName": "o1", "MsgType": "text" * 20, "CreateTime": "-1", "Content": ""}),
]


@pytest.mark.parametrize("xml", WECHAT_EXPLICIT, ids=range(len(WECHAT_EXPLICIT)))
def test_wechat_pushes_never_answer_500(app: Flask, xml: str) -> None:
    _refused_or_answered(post_wechat(app.test_client(), xml, aes=False))


def test_wechat_bytes_that_are_not_utf8_are_refused(app: Flask) -> None:
    response = post_wechat(app.test_client(), "", aes=False, body=b"<xml>\xff\xfe</xml>")
    assert response.status_code == 400


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=300) | st.sampled_from(["1" * 21, "SUCCESS", "Y", "确认", "13900000000"]),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), inner, max_size=6),
    max_leaves=20)
FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@FUZZ
@given(path=st.sampled_from(SMS_PATHS), body=JSON)
def test_fuzzed_sms_pushes_never_answer_500(app: Flask, path: str, body: Any) -> None:
    _refused_or_answered(post_sms(app.test_client(), path, json.dumps(body).encode()))


XML_FIELDS = st.dictionaries(
    st.sampled_from(["FromUserName", "ToUserName", "MsgType", "CreateTime", "Content", "MsgId",
                     "MsgID", "Event", "EventKey", "Status"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=200)
    | st.sampled_from(["text", "event", "subscribe", "SCAN", "9" * 25, "qrscene_" + "9" * 25]),
    max_size=8)


@FUZZ
@given(fields=XML_FIELDS)
def test_fuzzed_wechat_pushes_never_answer_500(app: Flask, fields: dict[str, str]) -> None:
    xml = _xml({k: v.replace("]]>", "") for k, v in fields.items()})
    _refused_or_answered(post_wechat(app.test_client(), xml, aes=False))
