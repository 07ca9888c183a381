"""Aliyun and Tencent SMS channels against loopback fakes that check signatures and fields."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from service.clock import now_utc
from service.evidence import ledger
from service.extensions import db
from service.models import EvidenceEntry, OutboxMessage
from service.models.outbox import DEAD, FAILED, PENDING, SENT
from service.notify.dispatch import drain
from testkit.fakes.aliyun import FakeAliyunSms, limit_control
from testkit.fakes.base import Fault
from testkit.fakes.tencent import FakeTencentSms, status_fault
from testkit.sms import sms_config
from testkit.workflow import started


@pytest.fixture
def tx() -> Iterator[FakeTencentSms]:
    fake = FakeTencentSms().start()
    yield fake
    fake.stop()


@pytest.fixture
def sms_app(make_app: Callable[..., Flask], ali: FakeAliyunSms,
            tx: FakeTencentSms) -> Callable[..., Flask]:
    def make(channels: str = "sms_aliyun", **extra: Any) -> Flask:
        return make_app(**sms_config(ali.url, tx.url, channels, **extra))
    return make


def _rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _sent_entries() -> int:
    return db.session.scalar(select(func.count()).select_from(EvidenceEntry)
                             .where(EvidenceEntry.kind == ledger.CARD_SENT)) or 0


def test_aliyun_sends_cards_with_outbox_id_as_out_id(sms_app: Any, ali: FakeAliyunSms) -> None:
    with sms_app().app_context():
        _, members = started()
        assert drain("w", once=True)["sent"] == 4
        rows = _rows()
        by_out = {r["out_id"]: r for r in ali.requests}
        assert set(by_out) == {str(r.id) for r in rows}
        for row in rows:
            sent = by_out[str(row.id)]
            member = next(m for m in members if m.id == row.member_id)
            assert row.state == SENT and row.provider_msg_id == sent["biz_id"]
            assert sent["phone"] == member.mobile and sent["template"] == "SMS_CARD_1"
            assert sent["params"]["name"] == member.name
            assert sent["params"]["phone"] == member.mobile[:3] + "****" + member.mobile[-4:]
            assert member.id_number not in str(sent["params"])
            assert sent["params"]["token"] and "http" not in sent["params"]["token"]
        assert _sent_entries() == 4


def test_aliyun_wrong_secret_is_refused_by_the_signature_check(sms_app: Any,
                                                               ali: FakeAliyunSms) -> None:
    with sms_app(ALIYUN_ACCESS_KEY_SECRET="not-the-secret").app_context():
        started(members_per_branch=1)
        assert drain("w", once=True)["dead"] == 2
        assert all(r.state == DEAD and "SignatureDoesNotMatch" in r.last_error for r in _rows())
        assert ali.requests == [] and _sent_entries() == 0


def test_aliyun_rate_limit_defers_without_spending_an_attempt(sms_app: Any,
                                                              ali: FakeAliyunSms) -> None:
    with sms_app().app_context():
        started(members_per_branch=1)
        ali.script(limit_control())
        assert drain("w", once=True) == {"sent": 1, "pending": 1}
        deferred = next(r for r in _rows() if r.state == PENDING)
        assert deferred.attempts == 0 and "isv.BUSINESS_LIMIT_CONTROL" in deferred.last_error
        assert 50 < (deferred.next_attempt_at - now_utc()).total_seconds() <= 60


@pytest.mark.parametrize("fault", [Fault(500), Fault(delay=1.0)], ids=["http500", "timeout"])
def test_aliyun_outage_retries_with_backoff(sms_app: Any, ali: FakeAliyunSms,
                                            fault: Fault) -> None:
    with sms_app(NOTIFY_BACKOFF_SECONDS=20, NOTIFY_HTTP_TIMEOUT=0.5).app_context():
        started(members_per_branch=1)
        ali.script(fault)
        assert drain("w", once=True) == {"sent": 1, "pending": 1}
        retry = next(r for r in _rows() if r.state == PENDING)
        assert retry.attempts == 1
        assert 15 < (retry.next_attempt_at - now_utc()).total_seconds() <= 20


def test_bad_number_falls_back_to_the_next_channel(sms_app: Any, ali: FakeAliyunSms,
                                                   tx: FakeTencentSms) -> None:
    with sms_app("sms_aliyun,sms_tencent").app_context():
        started(members_per_branch=1)
        ali.always = Fault(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"})
        assert drain("w", once=True) == {"fell_back": 2, "sent": 2}
        rows = _rows()
        assert [r.state for r in rows] == [FAILED, FAILED, SENT, SENT]
        assert {r.idempotency_key for r in rows[2:]} == {
            f"{r.idempotency_key}:fb:sms_tencent" for r in rows[:2]}
        assert {r["out_id"] for r in tx.requests} == {str(r.id) for r in rows[2:]}
        assert _sent_entries() == 2


def test_tencent_sends_with_session_context_and_serial(sms_app: Any, tx: FakeTencentSms) -> None:
    with sms_app("sms_tencent").app_context():
        _, members = started(members_per_branch=1)
        assert drain("w", once=True)["sent"] == 2
        rows = _rows()
        assert {r["out_id"] for r in tx.requests} == {str(r.id) for r in rows}
        assert {r.provider_msg_id for r in rows} == {r["serial"] for r in tx.requests}
        phones = {r["phone"] for r in tx.requests}
        assert phones == {f"+86{m.mobile}" for m in members}
        assert all(r["params"][3] for r in tx.requests)  # the short card code


def test_tencent_wrong_key_fails_the_signature_check(sms_app: Any, tx: FakeTencentSms) -> None:
    with sms_app("sms_tencent", TENCENT_SECRET_KEY="wrong").app_context():
        started(members_per_branch=1)
        assert drain("w", once=True)["dead"] == 2
        assert all("AuthFailure.SignatureFailure" in r.last_error for r in _rows())


def test_tencent_thirty_second_limit_defers(sms_app: Any, tx: FakeTencentSms) -> None:
    with sms_app("sms_tencent").app_context():
        started(members_per_branch=1)
        tx.script(status_fault("LimitExceeded.PhoneNumberThirtySecondLimit", "30秒限频"))
        assert drain("w", once=True) == {"pending": 1, "sent": 1}
        assert next(r for r in _rows() if r.state == PENDING).attempts == 0


def test_tencent_bad_number_with_no_other_channel_is_parked(sms_app: Any,
                                                            tx: FakeTencentSms) -> None:
    with sms_app("sms_tencent").app_context():
        started(members_per_branch=1)
        tx.always = status_fault("InvalidParameterValue.IncorrectPhoneNumber", "号码错误")
        assert drain("w", once=True) == {"dead": 2}
        assert all("IncorrectPhoneNumber" in r.last_error for r in _rows())
