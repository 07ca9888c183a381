"""The outbox: cards are queued with the decision, claimed once, sent once, evidenced once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import time_machine
from flask import Flask
from sqlalchemy import func, select

from service.campaign import workflow
from service.clock import LOCAL_TZ, now_utc
from service.evidence import ledger
from service.evidence.verification import verify_chain
from service.extensions import db
from service.models import EvidenceEntry, OutboxMessage
from service.models.outbox import DEAD, PENDING, SENDING, SENT
from service.notify import outbox, router
from service.notify.channel import Deferred, SendError
from service.notify.dispatch import drain
from service.unit_of_work import run_unit
from testkit.workflow import cm_of, started


def _rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _sent_entries() -> int:
    return db.session.scalar(select(func.count()).select_from(EvidenceEntry)
                             .where(EvidenceEntry.kind == ledger.CARD_SENT)) or 0


def test_starting_a_campaign_queues_one_card_per_member(app_ctx: Flask) -> None:
    campaign, members = started()
    rows = _rows()
    assert sorted(r.member_id for r in rows) == sorted(m.id for m in members)
    assert all(r.state == PENDING and r.kind == "card" and r.channel == "console" for r in rows)
    assert {r.idempotency_key for r in rows} == {f"card:{r.card_id}" for r in rows}
    # Nothing that identifies the member in clear sits in the queue.
    for row, member in zip(sorted(rows, key=lambda r: r.member_id), members, strict=True):
        assert member.mobile not in str(row.payload) and member.id_number not in str(row.payload)


def test_a_card_is_queued_once_and_a_new_card_is_queued_again(app_ctx: Flask) -> None:
    campaign, members = started()
    member = members[0]
    run_unit(lambda: workflow.mark_unreachable(campaign.id, member.id, actor="a", note="外出"))
    run_unit(lambda: workflow.reopen(campaign.id, member.id, actor="a"))
    assert len([r for r in _rows() if r.member_id == member.id]) == 1  # same card: not again
    run_unit(lambda: workflow.edit_record(member.id, {**_record(member), "address": "新地址1号"},
                                          actor="a", basis="户口本"))
    mine = [r for r in _rows() if r.member_id == member.id]
    assert len(mine) == 2 and mine[0].card_id != mine[1].card_id


def _record(member: object) -> dict[str, object]:
    from service.roster.members import member_record
    return member_record(member)  # type: ignore[arg-type]


def test_drain_sends_each_row_once_with_one_sent_entry(app_ctx: Flask) -> None:
    started()
    done = drain("w1", once=True)
    rows = _rows()
    assert done["sent"] == len(rows) == 4
    assert all(r.state == SENT and r.provider_msg_id == f"console-{r.id}" for r in rows)
    assert _sent_entries() == 4
    assert drain("w2", once=True)["sent"] == 0
    assert _sent_entries() == 4
    assert verify_chain().ok


def test_claims_never_overlap_and_an_expired_lease_is_taken_again(app_ctx: Flask) -> None:
    started()
    first = run_unit(lambda: outbox.claim(3, "w1", lease_seconds=60))
    second = run_unit(lambda: outbox.claim(3, "w2", lease_seconds=60))
    assert len(first) == 3 and len(second) == 1 and not set(first) & set(second)
    assert run_unit(lambda: outbox.claim(3, "w3")) == []
    # w1 dies: its lease runs out and w3 takes its rows again, counting the attempt.
    db.session.execute(OutboxMessage.__table__.update()
                       .where(OutboxMessage.id.in_(first))
                       .values(claimed_until=now_utc() - timedelta(seconds=1)))
    db.session.commit()
    third = run_unit(lambda: outbox.claim(10, "w3"))
    assert third == first
    assert all(r.attempts == 2 and r.claimed_by.startswith("w3:") for r in _rows() if r.id in first)


def test_failures_back_off_then_park_as_dead(make_app: object) -> None:
    app = make_app(NOTIFY_MAX_ATTEMPTS=2, NOTIFY_BACKOFF_SECONDS=10)  # type: ignore[operator]
    with app.app_context():
        started(members_per_branch=1)
        row_id = _rows()[0].id
        assert row_id in run_unit(lambda: outbox.claim(10, "w"))  # the other row stays leased
        token = _rows()[0].claimed_by
        assert run_unit(lambda: outbox.mark_retry(row_id, token, SendError("超时"))) == PENDING
        row = _rows()[0]
        wait = (row.next_attempt_at - now_utc()).total_seconds()
        assert 5 < wait <= 10 and row.last_error == "超时"
        assert run_unit(lambda: outbox.claim(1, "w")) == []  # not due yet
        _make_due(row_id)
        assert run_unit(lambda: outbox.claim(1, "w")) == [row_id]
        token = _rows()[0].claimed_by
        # A quota wait gives the attempt back instead of spending it.
        error = Deferred("额度已用完", code="45009", retry_after=0)
        assert run_unit(lambda: outbox.mark_retry(row_id, token, error, retry_after=0,
                                                  count_attempt=False)) == PENDING
        assert _rows()[0].attempts == 1
        assert run_unit(lambda: outbox.claim(1, "w")) == [row_id]
        token = _rows()[0].claimed_by
        assert run_unit(lambda: outbox.mark_retry(row_id, token, SendError("超时"))) == DEAD
        assert _rows()[0].state == DEAD


def test_only_the_claim_holder_records_a_failure(app_ctx: Flask) -> None:
    started(members_per_branch=1)
    row_id = run_unit(lambda: outbox.claim(1, "w1"))[0]
    assert run_unit(lambda: outbox.mark_dead(row_id, "someone-else", SendError("x"))) == "gone"
    assert _rows()[0].state == SENDING


def test_reached_by_reports_the_channel_that_got_through(app_ctx: Flask) -> None:
    _, members = started(members_per_branch=1)
    assert router.reached_by(members[0].id) is None
    drain("w", once=True)
    assert router.reached_by(members[0].id) == "console"


def test_console_page_shows_masked_messages_with_card_links(make_app: Any) -> None:
    app = make_app(DEMO=True)  # the page exists in demo mode only
    with app.app_context():
        _, members = started(members_per_branch=1)
        drain("w", once=True)
        secrets = [(m.name, m.id_number, m.mobile) for m in members]
    page = app.test_client().get("/console").get_data(as_text=True)
    for name, id_number, mobile in secrets:
        assert name in page and "回复1确认，回复2有误" in page
        assert id_number not in page and mobile not in page
        assert id_number[:4] + "*" * 10 + id_number[-4:] in page
    assert page.count('href="/s/') == 2


def test_console_page_is_absent_without_the_console_channel(make_app: object) -> None:
    app = make_app(NOTIFY_CHANNELS="sms_aliyun", DEMO=True)  # type: ignore[operator]
    assert app.test_client().get("/console").status_code == 404


def test_cli_drain_and_status(app: Flask) -> None:
    with app.app_context():
        started(members_per_branch=1)
    runner = app.test_cli_runner()
    before = runner.invoke(args=["outbox", "status"])
    assert "演示控制台：待发送 2" in before.output
    result = runner.invoke(args=["outbox", "drain", "--once", "--worker-id", "t1"])
    assert result.exit_code == 0 and "已发送 2 条" in result.output
    assert "演示控制台：已发送 2" in runner.invoke(args=["outbox", "status"]).output


def _make_due(row_id: int) -> None:
    db.session.execute(OutboxMessage.__table__.update().where(OutboxMessage.id == row_id)
                       .values(next_attempt_at=now_utc() - timedelta(seconds=1)))
    db.session.commit()


def test_a_delivery_receipt_is_evidenced_once(app_ctx: Flask) -> None:
    started(members_per_branch=1)
    first = _rows()[0].id
    assert not run_unit(lambda: outbox.mark_delivered(first))  # not sent yet: refused
    drain("w", once=True)
    assert run_unit(lambda: outbox.mark_delivered(first, payload=b'[{"success":true}]'))
    assert not run_unit(lambda: outbox.mark_delivered(first))  # a provider re-push
    delivered = db.session.scalars(select(EvidenceEntry).where(
        EvidenceEntry.kind == ledger.DELIVERED)).all()
    assert len(delivered) == 1 and delivered[0].payload_sha256 is not None
    assert _rows()[0].state == "delivered" and verify_chain().ok


def test_cards_and_reminders_wait_out_the_quiet_hours(make_app: Any) -> None:
    from service.notify import outbox as outbox_module

    app = make_app(NOTIFY_QUIET_HOURS="21-8")
    night = datetime(2026, 11, 23, 22, 30, tzinfo=LOCAL_TZ)
    morning = datetime(2026, 11, 24, 8, 30, tzinfo=LOCAL_TZ)
    # The campaign starts at night, so its cards are due then: only quiet hours hold them.
    with app.app_context(), time_machine.travel(night.timestamp(), tick=False) as clock:
        _, members = started()
        otp = outbox_module.enqueue("otp", channel="console", key="otp:test",
                                    member_id=members[0].id)
        db.session.commit()
        claimed = run_unit(lambda: outbox_module.claim(100, "w1"))
        assert claimed == [otp.id]  # the code the member asked for goes; no card does
        clock.move_to(morning.timestamp())
        claimed = run_unit(lambda: outbox_module.claim(100, "w1"))
        assert len(set(claimed) - {otp.id}) == len(members)  # (the code's lease ran out too)


def test_a_reminder_for_a_member_who_just_confirmed_is_cancelled_not_sent(app: Flask) -> None:
    from service.campaign import workflow
    from service.models.outbox import CANCELLED, REMINDER
    from service.notify import outbox as outbox_module
    from service.notify.dispatch import drain

    with app.app_context():
        campaign, members = started()
        drain("w0", once=True)
        cm = cm_of(campaign.id, members[0].id)
        other = cm_of(campaign.id, members[1].id)
        for row in (cm, other):
            outbox_module.enqueue(REMINDER, channel="console", key=f"rem:test:{row.id}",
                                  member_id=row.member_id, card_id=row.card_id,
                                  campaign_member_id=row.id)
        workflow.confirm(cm.card_id, cm.member_id, channel="web", identity="signed_link")
        db.session.commit()
        drain("w1", once=True)
        rows = {r.campaign_member_id: r for r in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == REMINDER))}
        assert rows[cm.id].state == CANCELLED and rows[other.id].state == "sent"
