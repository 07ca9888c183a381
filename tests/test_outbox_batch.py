"""Batch sending: bulk evidence equal to one-by-one, receipts that beat the sender, lookups
before re-sending, a graceful stop, lease-aware sends, and the dead-letter commands."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select, update

from service.clock import now_utc
from service.evidence import ledger
from service.evidence.verification import verify_chain
from service.extensions import db
from service.models import AuditLog, Card, EvidenceEntry, EvidenceHead, OutboxMessage
from service.models.outbox import DEAD, DELIVERED, PENDING, SENDING, SENT
from service.notify import dispatch, outbox, outbox_admin, router
from service.notify.channel import PermanentFailure
from service.notify.messages import compose, compose_many
from service.unit_of_work import run_unit
from testkit.fakes.aliyun import FakeAliyunSms
from testkit.fakes.aliyun_query import FakeAliyunSmsWithQuery
from testkit.sms import sms_config
from testkit.workflow import started


def _rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _entries(kind: str) -> list[EvidenceEntry]:
    return list(db.session.scalars(select(EvidenceEntry).where(EvidenceEntry.kind == kind)
                                   .order_by(EvidenceEntry.seq)))


def _bodies() -> list[dict[str, Any]]:
    out = []
    for entry in db.session.scalars(select(EvidenceEntry).order_by(EvidenceEntry.seq)):
        body = json.loads(entry.body)
        body.pop("at")
        out.append(body)
    return out


def test_append_many_writes_the_chain_one_by_one_appends_write(app_ctx: Flask) -> None:
    started(members_per_branch=1)
    cards = list(db.session.scalars(select(Card).order_by(Card.id)))
    facts = [ledger.Fact(ledger.CARD_SENT, "outbox:x", member_id=c.member_id, card_id=c.id,
                         card_hash=c.sha256, channel="x", provider_msg_id=f"p{c.id}",
                         data={"n": i}, idempotency_key=f"t:{c.id}")
             for i, c in enumerate(cards)] * 2
    facts = [ledger.Fact(**{**f.__dict__, "idempotency_key": f"{f.idempotency_key}:{i}"})
             for i, f in enumerate(facts)]
    before = _bodies()

    def one_by_one() -> None:
        for f in facts:
            card = db.session.get(Card, f.card_id)
            ledger.append(f.kind, actor=f.actor, member_id=f.member_id, card=card,
                          channel=f.channel, provider_msg_id=f.provider_msg_id, data=f.data,
                          idempotency_key=f.idempotency_key)

    run_unit(one_by_one)
    singly = _bodies()
    assert verify_chain().ok
    # Roll the ledger back to where it was and append the same facts in one go.
    first_new = len(before) + 1
    db.session.execute(delete(EvidenceEntry).where(EvidenceEntry.seq >= first_new))
    last = db.session.scalars(select(EvidenceEntry).order_by(EvidenceEntry.seq.desc())).first()
    db.session.execute(update(EvidenceHead).values(seq=len(before), entry_hash=last.entry_hash))
    db.session.commit()
    seqs = run_unit(lambda: ledger.append_many(facts))
    assert seqs == list(range(first_new, first_new + len(facts)))
    assert _bodies() == singly  # same seq, prev, kinds, cards, data: the same chain but times
    assert verify_chain().ok
    # And a single append after a bulk one continues the same chain.
    run_unit(lambda: ledger.append("consent", actor="t", member_id=cards[0].member_id))
    assert verify_chain().ok and run_unit(lambda: ledger.append_many([])) == []


def test_compose_many_builds_what_compose_builds(app_ctx: Flask) -> None:
    started()
    rows = _rows()
    batch = compose_many(rows)
    assert {i: m for i, m in batch.items()} == {r.id: compose(r) for r in rows}


@pytest.mark.parametrize("workers", [1, 4])
def test_drain_sends_every_row_once_whatever_the_concurrency(make_app: Callable[..., Flask],
                                                             workers: int) -> None:
    fake = FakeAliyunSms().start()
    try:
        with make_app(**sms_config(fake.url, None, "sms_aliyun")).app_context():
            started(members_per_branch=7)
            done = dispatch.drain("w", batch=3, once=True, workers=workers)
            rows = _rows()
            assert done["sent"] == len(rows) == 14 and all(r.state == SENT for r in rows)
            assert sorted(int(r["out_id"]) for r in fake.requests) == [r.id for r in rows]
            entries = _entries(ledger.CARD_SENT)
            assert [json.loads(e.body)["data"]["outbox"] for e in entries] == [
                r.id for r in rows]  # one each, in row order within a batch
            assert {(e.provider_msg_id, e.card_id) for e in entries} == {
                (r.provider_msg_id, r.card_id) for r in rows}
            assert verify_chain().ok
    finally:
        fake.stop()


def test_a_receipt_for_a_row_still_sending_records_sent_and_delivered_once(
        app_ctx: Flask) -> None:
    started(members_per_branch=1)
    lease = run_unit(lambda: outbox.claim_batch(1, "w"))
    row_id = lease.ids[0]
    # The worker died after the provider took it; the receipt arrives first.
    assert run_unit(lambda: outbox.mark_delivered(row_id, payload=b"[]", provider_msg_id="B1"))
    row = _rows()[0]
    assert row.state == DELIVERED and row.provider_msg_id == "B1" and row.sent_at is not None
    assert row.claimed_by is None
    # The late sender, and a re-pushed receipt, add nothing.
    assert run_unit(lambda: outbox.mark_sent_many(
        [(row_id, dispatch.SendResult("B1"))])) == []
    assert not run_unit(lambda: outbox.mark_delivered(row_id))
    sent, delivered = _entries(ledger.CARD_SENT), _entries(ledger.DELIVERED)
    assert len(sent) == len(delivered) == 1 and sent[0].seq < delivered[0].seq
    assert json.loads(sent[0].body)["data"]["outbox"] == row_id and verify_chain().ok


def test_a_receipt_after_a_sent_record_adds_only_delivered(app_ctx: Flask) -> None:
    started(members_per_branch=1)
    dispatch.drain("w", once=True)
    row_id = _rows()[0].id
    assert run_unit(lambda: outbox.mark_delivered(row_id))
    assert len(_entries(ledger.CARD_SENT)) == 2 and len(_entries(ledger.DELIVERED)) == 1


@pytest.fixture
def query_fake() -> Iterator[FakeAliyunSmsWithQuery]:
    fake = FakeAliyunSmsWithQuery().start()
    yield fake
    fake.stop()


def _die_after_sending(row_ids: set[int]) -> None:
    """Play a worker that claims, sends ``row_ids`` of its batch, and dies before recording."""
    lease = run_unit(lambda: outbox.claim_batch(10, "doomed"))
    for row in _rows():
        if row.id in row_ids:
            dispatch.send(router.channel(row.channel), compose(row))
    db.session.rollback()
    # Every call of the batch had started (as the dispatcher stamps them); some reached.
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(lease.ids))
                       .values(claimed_until=now_utc() - timedelta(seconds=1),
                               started_at=now_utc()))
    db.session.commit()


def test_an_expired_lease_is_looked_up_before_sending_again(
        make_app: Callable[..., Flask], query_fake: FakeAliyunSmsWithQuery) -> None:
    with make_app(**sms_config(query_fake.url, None, "sms_aliyun")).app_context():
        started()
        rows = _rows()
        reached = {rows[0].id, rows[2].id}
        _die_after_sending(reached)
        assert len(query_fake.requests) == 2
        done = dispatch.drain("w2", once=True, workers=2)
        assert done["sent"] == 4 and all(r.state == SENT for r in _rows())
        per_row = Counter(int(r["out_id"]) for r in query_fake.requests)
        assert per_row == Counter({r.id: 1 for r in rows})  # found twice, sent twice: no dup
        assert query_fake.queries >= 4  # every re-claimed row was looked up first
        entries = {json.loads(e.body)["data"]["outbox"]: json.loads(e.body)["data"]
                   for e in _entries(ledger.CARD_SENT)}
        assert len(_entries(ledger.CARD_SENT)) == 4
        assert {i for i, d in entries.items() if d.get("reconciled")} == reached
        assert verify_chain().ok


def test_without_a_lookup_an_expired_lease_is_sent_again_and_evidenced_once(
        make_app: Callable[..., Flask]) -> None:
    fake = FakeAliyunSms().start()  # no QuerySendDetails: the lookup fails, the row goes again
    try:
        with make_app(**sms_config(fake.url, None, "sms_aliyun")).app_context():
            started(members_per_branch=1)
            first = _rows()[0].id
            _die_after_sending({first})
            assert dispatch.drain("w2", once=True)["sent"] == 2
            assert Counter(int(r["out_id"]) for r in fake.requests)[first] == 2
            assert len(_entries(ledger.CARD_SENT)) == 2 and verify_chain().ok
    finally:
        fake.stop()


def test_a_stopping_worker_gives_back_what_it_did_not_send(
        make_app: Callable[..., Flask], query_fake: FakeAliyunSmsWithQuery) -> None:
    with make_app(**sms_config(query_fake.url, None, "sms_aliyun")).app_context():
        started(members_per_branch=3)
        done = dispatch.drain("w", batch=4, once=True, workers=1,
                              should_stop=lambda: len(query_fake.requests) >= 2)
        rows = _rows()
        assert done["sent"] == 2 and done["released"] == 4  # 2 of the batch in hand + 2 next
        assert sorted(r.id for r in rows if r.state == SENT) == sorted(
            int(r["out_id"]) for r in query_fake.requests)
        back = [r for r in rows if r.state == PENDING]
        assert len(back) == 4 and all(r.attempts == 0 and r.claimed_by is None for r in back)
        assert not [r for r in rows if r.state == SENDING]


def test_no_send_starts_once_the_lease_is_nearly_over(app_ctx: Flask) -> None:
    started(members_per_branch=1)
    lease = run_unit(lambda: outbox.claim_batch(1, "w"))
    jobs = dispatch.prepare(lease)
    jobs[0].send_by = now_utc() - timedelta(seconds=1)
    assert dispatch.send_one(jobs[0], lambda: False) == (jobs[0], None)
    jobs[0].send_by = now_utc() + timedelta(seconds=30)
    assert dispatch.send_one(jobs[0], lambda: False)[1].provider_msg_id == f"console-{lease.ids[0]}"


def _kill(row_id: int) -> None:
    token = run_unit(lambda: outbox.claim_batch(10, "w")).token
    run_unit(lambda: outbox.mark_dead(row_id, token, PermanentFailure("短信签名不合法",
                                                                      code="isv.SIG")))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.state == SENDING)
                       .values(state=PENDING, claimed_by=None, claimed_until=None))
    db.session.commit()


def test_status_lists_dead_letters_masked_and_retry_dead_requeues_once(app: Flask) -> None:
    with app.app_context():
        _, members = started(members_per_branch=1)
        dead_id = _rows()[0].id
        _kill(dead_id)
        member = next(m for m in members if m.id == _rows()[0].member_id)
        name, mobile = member.name, member.mobile
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["outbox", "status"]).output
    assert "演示控制台：待发送 1，发送失败 1" in shown
    assert f"#{dead_id} 确认卡 发给 {name}（手机 {mobile[:3]}****{mobile[-4:]}）" in shown
    assert "[isv.SIG] 短信签名不合法" in shown and mobile not in shown
    first = runner.invoke(args=["outbox", "retry-dead", "--id", str(dead_id), "--actor", "admin:7"])
    assert first.exit_code == 0 and f"已将 1 条发送失败的消息重新排队：#{dead_id}" in first.output
    again = runner.invoke(args=["outbox", "retry-dead", "--id", str(dead_id)])
    assert "无需重新发送" in again.output and "没有需要重新发送的消息" in again.output
    with app.app_context():
        row = db.session.get(OutboxMessage, dead_id)
        assert row.state == PENDING and row.attempts == 1 and row.last_error
        audits = db.session.scalars(select(AuditLog).where(
            AuditLog.action == "outbox.retry_dead")).all()
        assert [(a.actor, a.target_id) for a in audits] == [("admin:7", str(dead_id))]
        assert dispatch.drain("w", once=True)["sent"] == 2
        assert all(r.state == SENT for r in _rows())
    assert "发送失败" not in runner.invoke(args=["outbox", "status"]).output


def test_retry_dead_without_ids_requeues_every_dead_row(app_ctx: Flask) -> None:
    started(members_per_branch=1)
    for row in _rows():
        _kill(row.id)
    assert all(r.state == DEAD for r in _rows())
    assert run_unit(lambda: outbox_admin.retry_dead(None, actor="cli")) == [r.id for r in _rows()]
    assert run_unit(lambda: outbox_admin.retry_dead(None, actor="cli")) == []
