"""Delivery receipts on outbox rows: once, by correlation id, fallback on failure."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from service.evidence import ledger
from service.evidence.verification import verify_chain
from service.models.outbox import DEAD, DELIVERED, FAILED
from service.notify import outbox, receipts
from service.notify.receipts import Receipt
from service.unit_of_work import run_unit
from testkit.inbound import evidence, outbox_rows, sent_row
from testkit.workflow import started


@pytest.fixture
def app(make_app: Any) -> Iterator[Flask]:
    app = make_app(NOTIFY_CHANNELS="wechat_oa,sms_aliyun")
    with app.app_context():
        yield app


def _apply(receipt: Receipt) -> str:
    return run_unit(lambda: receipts.apply(receipt, payload=b"{}")[0])


def _row(row_id: int) -> Any:
    return next(r for r in outbox_rows() if r.id == row_id)


def test_success_is_delivered_once_by_outbox_id_or_provider_id(app: Flask) -> None:
    _, members = started(1)
    a = sent_row("sms_aliyun", members[0], "BIZ-A")
    b = sent_row("wechat_oa", members[1], "777")
    assert _apply(Receipt("sms_aliyun", True, outbox_id=a)) == receipts.DELIVERED_NOW
    assert _apply(Receipt("sms_aliyun", True, outbox_id=a)) == receipts.REPEATED
    assert _apply(Receipt("wechat_oa", True, provider_msg_id="777")) == receipts.DELIVERED_NOW
    assert _row(a).state == DELIVERED and _row(b).state == DELIVERED
    assert len(evidence(ledger.DELIVERED)) == 2 and verify_chain().ok


def test_a_receipt_names_its_own_channel(app: Flask) -> None:
    _, members = started(1)
    a = sent_row("sms_aliyun", members[0], "BIZ-B")
    assert _apply(Receipt("sms_tencent", True, outbox_id=a)) == receipts.UNMATCHED
    assert _apply(Receipt("wechat_oa", True, provider_msg_id="BIZ-B")) == receipts.UNMATCHED
    assert _apply(Receipt("wechat_oa", True)) == receipts.UNMATCHED
    assert evidence(ledger.DELIVERED) == []


def test_failure_falls_back_once_then_a_late_success_is_only_kept(app: Flask) -> None:
    _, members = started(1)
    w = sent_row("wechat_oa", members[0], "888")
    fail = Receipt("wechat_oa", False, provider_msg_id="888", error="failed:user block")
    assert _apply(fail) == receipts.FELL_BACK
    assert _apply(fail) == receipts.REPEATED
    rows = outbox_rows()
    assert _row(w).state == FAILED
    assert len([r for r in rows if r.idempotency_key.endswith(":fb:sms_aliyun")]) == 1
    assert _apply(Receipt("wechat_oa", True, provider_msg_id="888")) == receipts.LATE
    assert evidence(ledger.DELIVERED) == []


def test_failure_on_the_last_channel_parks_the_row_for_an_admin(app: Flask) -> None:
    _, members = started(1)
    s = sent_row("sms_aliyun", members[0], "BIZ-C")
    assert _apply(Receipt("sms_aliyun", False, outbox_id=s, error="MK:0001 失败")) == \
        receipts.FAILED_NOW
    row = _row(s)
    assert row.state == DEAD and "MK:0001" in (row.last_error or "")


def test_a_notice_failure_does_not_fall_back(app: Flask) -> None:
    _, members = started(1)
    n = sent_row("wechat_oa", members[0], "999", kind="notice")
    assert _apply(Receipt("wechat_oa", False, provider_msg_id="999")) == receipts.FAILED_NOW
    assert _row(n).state == DEAD
    assert not [r for r in outbox_rows() if ":fb:" in r.idempotency_key]


def test_a_receipt_for_an_unsent_row_asks_to_be_sent_again(app: Flask) -> None:
    _, members = started(1)
    card_id = outbox_rows()[0].card_id
    row = run_unit(lambda: outbox.enqueue("card", channel="sms_aliyun", key="x:1",
                                          member_id=members[0].id, card_id=card_id))
    row_id = row.id
    with pytest.raises(receipts.NotYetSent):
        _apply(Receipt("sms_aliyun", True, outbox_id=row_id))
    assert evidence(ledger.DELIVERED) == []
