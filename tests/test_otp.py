"""One-time SMS codes: sent through the outbox, stored hashed, limited, locked, expiring."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from service import throttle
from service.clock import now_utc
from service.errors import ServiceError
from service.extensions import db
from service.identity import otp
from service.models import Member, OtpCode, OutboxMessage, Throttle
from service.models.member_auth import VERIFY
from service.models.outbox import DEAD, SENT
from service.notify.dispatch import drain
from service.notify.messages import compose
from service.unit_of_work import run_unit
from testkit.factories import make_member, make_org
from testkit.fakes import aliyun as aliyun_fake
from testkit.fakes.aliyun import FakeAliyunSms
from testkit.sms import sms_config


def _member(**overrides: Any) -> Member:
    member = make_member(make_org(), **overrides)
    db.session.commit()
    return member


def _issue(member: Member, context: str = "verify") -> otp.Issued:
    return run_unit(lambda: otp.issue(member, purpose=VERIFY, context=context))


def _check(member: Member, code: str, context: str = "verify") -> otp.Checked:
    return run_unit(lambda: otp.check(member.id, purpose=VERIFY, context=context, code=code))


def sent_code(issued: otp.Issued) -> str:
    """Return the code the SMS for ``issued`` carries, as the dispatcher composes it."""
    row = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.idempotency_key == f"otp:{issued.code_id}"))
    assert row is not None
    return compose(row).params["code"]


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


@pytest.fixture
def fast_app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    app = make_app(OTP_RESEND_SECONDS=0)
    with app.app_context():
        yield app


def test_a_code_goes_through_the_outbox_and_only_its_hash_is_stored(app_ctx: Flask) -> None:
    member = _member()
    issued = _issue(member)
    assert issued.masked_phone == member.mobile[:3] + "****" + member.mobile[-4:]
    row = db.session.get(OtpCode, issued.code_id)
    code = sent_code(issued)
    assert len(code) == 6 and code.isdigit()
    assert code not in row.code_hash and len(row.code_hash) == 64
    queued = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "otp"))
    assert queued.channel == "console" and queued.member_id == member.id
    assert code not in str(queued.payload) and member.mobile not in str(queued.payload)
    assert drain("w", once=True)["sent"] == 1
    assert code in compose(queued).text
    assert _check(member, code).ok
    again = _check(member, code)  # spent
    assert not again.ok and "重新获取" in again.message


def test_codes_are_bound_to_their_context(app_ctx: Flask) -> None:
    member = _member()
    code = sent_code(_issue(member, context="bind:wechat_oa:o1"))
    refused = _check(member, code, context="verify")
    assert not refused.ok
    assert _check(member, code, context="bind:wechat_oa:o1").ok


def test_a_new_code_replaces_the_previous_one(fast_app: Flask) -> None:
    member = _member()
    first = sent_code(_issue(member))
    second = sent_code(_issue(member))
    if first != second:
        assert not _check(member, first).ok
    assert _check(member, second).ok


def test_resending_within_a_minute_is_refused(app_ctx: Flask) -> None:
    member = _member()
    _issue(member)
    with pytest.raises(ServiceError, match="秒后再重新获取"):
        _issue(member)


def test_at_most_n_codes_per_phone_per_hour(make_app: Callable[..., Flask]) -> None:
    with make_app(OTP_RESEND_SECONDS=0, OTP_MAX_PER_HOUR=3).app_context():
        member = _member()
        for _ in range(3):
            _issue(member)
        with pytest.raises(ServiceError, match="一小时内获取验证码次数过多"):
            _issue(member)
        # An hour later the allowance is back.
        db.session.execute(update(OtpCode).values(created_at=now_utc() - timedelta(minutes=61)))
        db.session.commit()
        _issue(member)


def test_the_hourly_limit_counts_per_phone_across_members(fast_app: Flask) -> None:
    a = _member(mobile="13900000001")
    b = _member(mobile="13900000001")  # a family sharing one phone
    for _ in range(5):
        _issue(a)
    with pytest.raises(ServiceError, match="次数过多"):
        _issue(b)


def test_five_wrong_codes_lock_the_member_out(app_ctx: Flask) -> None:
    member = _member()
    code = sent_code(_issue(member))
    messages = [_check(member, _wrong(code)).message for _ in range(5)]
    assert messages[0] == "验证码不正确，还可以再试4次"
    assert "尝试次数过多" in messages[-1]
    # Locked: even the right code is refused now, and no new code can be asked for.
    refused = _check(member, code)
    assert not refused.ok and "尝试次数过多" in refused.message
    with pytest.raises(ServiceError, match="尝试次数过多"):
        _issue(member)
    lock = db.session.scalar(select(Throttle).where(Throttle.key == otp.member_key(member.id)))
    assert lock.locked_until > now_utc() + timedelta(minutes=29)
    # After the lock the member starts again with a fresh code.
    lock.locked_until = now_utc() - timedelta(seconds=1)
    db.session.execute(update(OtpCode).values(created_at=now_utc() - timedelta(minutes=2)))
    db.session.commit()
    fresh = sent_code(_issue(member))
    assert _check(member, fresh).ok


def test_a_success_clears_the_failure_count(app_ctx: Flask) -> None:
    member = _member()
    code = sent_code(_issue(member))
    for _ in range(3):
        assert not _check(member, _wrong(code)).ok
    assert _check(member, code).ok
    assert throttle.locked_until(otp.member_key(member.id)) is None
    row = db.session.scalar(select(Throttle).where(Throttle.key == otp.member_key(member.id)))
    assert row.failures == 0


def test_an_expired_code_is_refused_and_not_sent(app_ctx: Flask) -> None:
    member = _member()
    issued = _issue(member)
    code = sent_code(issued)
    db.session.execute(update(OtpCode).values(expires_at=now_utc() - timedelta(seconds=1)))
    db.session.commit()
    refused = _check(member, code)
    assert not refused.ok and "过期" in refused.message
    assert drain("w", once=True)["dead"] == 1  # an expired code is not worth an SMS
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "otp"))
    assert row.state == DEAD and "过期" in row.last_error


def test_malformed_codes_do_not_count_and_full_width_digits_work(app_ctx: Flask) -> None:
    member = _member()
    code = sent_code(_issue(member))
    assert _check(member, "12ab").message == "请输入短信中的6位数字验证码"
    assert db.session.scalar(select(Throttle)) is None
    full_width = code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert _check(member, f" {full_width} ").ok


def test_a_member_without_a_mobile_is_told_to_ask_the_branch(app_ctx: Flask) -> None:
    member = _member(mobile=None, landline="010-12345678")
    with pytest.raises(ServiceError, match="没有登记手机号码"):
        _issue(member)


def test_no_sms_channel_means_no_code(make_app: Callable[..., Flask]) -> None:
    with make_app(NOTIFY_CHANNELS="wechat_oa").app_context():
        with pytest.raises(ServiceError, match="短信通道尚未开通"):
            _issue(_member())


def test_the_code_goes_out_as_an_aliyun_verification_template(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(aliyun_fake, "TEMPLATES", aliyun_fake.TEMPLATES | {"SMS_OTP_1"})
    fake = FakeAliyunSms().start()
    try:
        config = sms_config(fake.url, None, "sms_aliyun", ALIYUN_SMS_TEMPLATE_OTP="SMS_OTP_1")
        with make_app(**config).app_context():
            member = _member()
            issued = _issue(member)
            code = sent_code(issued)
            assert drain("w", once=True)["sent"] == 1
            [sent] = fake.requests
            assert sent["template"] == "SMS_OTP_1" and sent["params"] == {"code": code}
            assert sent["phone"] == member.mobile
            row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "otp"))
            assert row.state == SENT
            assert _check(member, code).ok
    finally:
        fake.stop()


def test_without_an_otp_template_the_sms_is_parked_for_an_admin(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeAliyunSms().start()
    try:
        with make_app(**sms_config(fake.url, None, "sms_aliyun")).app_context():
            _issue(_member())
            assert drain("w", once=True)["dead"] == 1
            assert fake.requests == []
            row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "otp"))
            assert "验证码短信模板" in row.last_error
    finally:
        fake.stop()
