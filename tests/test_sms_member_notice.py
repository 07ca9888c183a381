"""Member-addressed notices (the dispute link after an SMS "2") go out by SMS with the notice
template, through the providers' fakes; admin notices stay off SMS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from service.campaign import outstanding
from service.extensions import db
from service.inbound import sms_replies
from service.models import OutboxMessage
from service.models.outbox import DEAD, NOTICE, SENT
from service.notify import outbox
from service.notify.aliyun import AliyunSms
from service.notify.channel import NotReachable, Outgoing
from service.notify.dispatch import drain
from service.unit_of_work import run_unit
from testkit.fakes import aliyun as aliyun_fake
from testkit.fakes import tencent as tencent_fake
from testkit.fakes.aliyun import FakeAliyunSms
from testkit.fakes.tencent import FakeTencentSms
from testkit.inbound import PUSH_TOKEN, post_sms
from testkit.sms import sms_config
from testkit.workflow import started


def _notices() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == NOTICE)))


def _reply_two(app: Flask, path: str, payload: Any) -> None:
    for _ in range(2):  # the provider pushes it again: still one notice
        assert post_sms(app.test_client(), path, payload).status_code == 200


def test_aliyun_reply_two_sends_the_dispute_link_by_sms(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(aliyun_fake, "TEMPLATES", aliyun_fake.TEMPLATES | {"SMS_NOTICE_1"})
    fake = FakeAliyunSms().start()
    try:
        config = sms_config(fake.url, None, "sms_aliyun", SMS_PUSH_TOKEN=PUSH_TOKEN,
                            ALIYUN_SMS_TEMPLATE_NOTICE="SMS_NOTICE_1")
        with make_app(**config).app_context() as ctx:
            _, members = started(1)
            drain("w", once=True)
            cards = len(fake.requests)
            member = members[0]
            _reply_two(ctx.app, "/sms/aliyun/reply", [{
                "phone_number": member.mobile, "content": "2", "send_time": "2024-05-06 10:00",
                "dest_code": "8821", "sequence_id": 4242}])
            assert drain("w", once=True)["sent"] == 1
            [sent] = fake.requests[cards:]
            assert sent["template"] == "SMS_NOTICE_1" and sent["phone"] == member.mobile
            [notice] = _notices()
            link = notice.payload["link"]
            assert sent["params"] == {"name": member.name, "token": sent["params"]["token"]}
            assert link.endswith("/s/" + sent["params"]["token"])
            assert sent["params"]["token"].endswith("/dispute")
            assert notice.state == SENT and notice.member_id == member.id
            assert drain("w", once=True)["sent"] == 0 and len(fake.requests) == cards + 1
    finally:
        fake.stop()


def test_tencent_notice_takes_name_and_token(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tencent_fake, "TEMPLATES", tencent_fake.TEMPLATES | {"1000009"})
    fake = FakeTencentSms().start()
    try:
        config = sms_config(None, fake.url, "sms_tencent", SMS_PUSH_TOKEN=PUSH_TOKEN,
                            TENCENT_SMS_TEMPLATE_NOTICE="1000009")
        with make_app(**config).app_context() as ctx:
            _, members = started(1)
            drain("w", once=True)
            cards = len(fake.requests)
            member = members[0]
            _reply_two(ctx.app, "/sms/tencent/reply", {
                "mobile": member.mobile, "nationcode": "86", "text": "2", "time": 1714960009,
                "sign": "x", "extend": ""})
            assert drain("w", once=True)["sent"] == 1
            [sent] = fake.requests[cards:]
            assert sent["template"] == "1000009" and sent["phone"] == f"+86{member.mobile}"
            name, token = sent["params"]
            assert name == member.name and token.endswith("/dispute") and "://" not in token
    finally:
        fake.stop()


def test_without_a_notice_template_the_notice_is_parked_with_a_reason(
    make_app: Callable[..., Flask],
) -> None:
    fake = FakeAliyunSms().start()
    try:
        config = sms_config(fake.url, None, "sms_aliyun", SMS_PUSH_TOKEN=PUSH_TOKEN)
        with make_app(**config).app_context() as ctx:
            _, members = started(1)
            drain("w", once=True)
            cards = len(fake.requests)
            _reply_two(ctx.app, "/sms/aliyun/reply", [{
                "phone_number": members[0].mobile, "content": "2", "sequence_id": 4343}])
            assert drain("w", once=True)["dead"] == 1
            assert len(fake.requests) == cards
            [notice] = _notices()
            assert notice.state == DEAD and "未配置通知短信模板" in (notice.last_error or "")
    finally:
        fake.stop()


def test_admin_notices_are_still_refused_on_sms() -> None:
    channel = AliyunSms("id", "secret", "签名", {"card": "C", "notice": "N"},
                        endpoint="http://127.0.0.1:9/")
    admin = Outgoing(1, "k", NOTICE, None, name="管理员", text="有新的修改申请",
                     params={"text": "有新的修改申请"}, phone=None)
    with pytest.raises(NotReachable):
        channel.send_notice(admin)


def test_the_console_shows_member_notices(make_app: Callable[..., Flask]) -> None:
    app = make_app(NOTIFY_CHANNELS="console", DEMO=True)  # the page exists in demo mode only
    with app.app_context():
        _, members = started(1)
        member = members[0]
        cm = outstanding.awaiting(member.id)[0]
        run_unit(lambda: sms_replies.queue_dispute_link(member, cm, "test:1", "console"))
        drain("w", once=True)
        [notice] = _notices()
        assert notice.state == SENT
        path = "/s/" + notice.payload["link"].split("/s/", 1)[1]
        name = member.name
    page = app.test_client().get("/console").get_data(as_text=True)
    assert f'href="{path}"' in page and name in page and "请打开以下链接" in page


def test_a_member_notice_without_a_phone_is_parked(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(aliyun_fake, "TEMPLATES", aliyun_fake.TEMPLATES | {"SMS_NOTICE_1"})
    fake = FakeAliyunSms().start()
    try:
        config = sms_config(fake.url, None, "sms_aliyun",
                            ALIYUN_SMS_TEMPLATE_NOTICE="SMS_NOTICE_1")
        with make_app(**config).app_context():
            _, members = started(1)
            drain("w", once=True)
            cards = len(fake.requests)
            member = members[0]
            run_unit(lambda: outbox.enqueue(
                NOTICE, channel="sms_aliyun", key="t:1", member_id=member.id,
                payload={"audience": "member", "text": "t", "link": "http://x/s/abc", "to": "x"}))
            member.mobile = None
            db.session.commit()
            drain("w", once=True)
            assert len(fake.requests) == cards
            [notice] = _notices()
            assert notice.state == DEAD and "没有登记手机号码" in (notice.last_error or "")
    finally:
        fake.stop()
