"""Member reminders: when a step is due, the ladder, stopping on settle, catch-up, idempotency."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from service.campaign import workflow
from service.campaign.escalation import remind_members
from service.clock import to_local
from service.extensions import db
from service.models import CallTask, ChannelBinding, OutboxMessage
from service.models.call_task import CANCELLED, OPEN
from service.models.outbox import NOTICE
from service.unit_of_work import run_unit
from testkit.workflow import cm_of, confirm_kwargs
from tests.reminder_helpers import controlled_clock, outbox_count, started_at, steps


def tick(clock, at: str) -> Counter[str]:
    now = clock.set(at)
    return run_unit(lambda: remind_members(now))


def test_first_reminder_waits_for_its_working_day_and_send_hour(app_ctx: Flask) -> None:
    with controlled_clock() as clock:
        _, members = started_at()
        assert sum(tick(clock, "2026-11-30 15:00").values()) == 0  # day of the card
        assert sum(tick(clock, "2026-12-01 09:30").values()) == 0  # before the send hour
        done = tick(clock, "2026-12-01 10:00")
        assert done["sms"] == len(members)
        assert sum(tick(clock, "2026-12-01 10:30").values()) == 0  # once, however often run
        assert sum(tick(clock, "2026-12-01 16:00").values()) == 0
    assert [s.step for s in steps()] == [0] * len(members)


def test_ladder_escalates_to_call_task_then_secretary_and_stops(app_ctx: Flask) -> None:
    with controlled_clock() as clock:
        _, members = started_at(members_per_branch=1)
        for day in range(1, 15):
            tick(clock, f"2026-12-{day:02d} 10:00")
    taken = steps()
    per_member = {m.id: [] for m in members}
    cms = {cm_of(s.campaign_id, m.id).id: m.id for s in taken for m in members}
    for s in taken:
        per_member[cms[s.campaign_member_id]].append(s.rung)
    # Default caps: SMS twice (no WeChat binding), then the collector, then the secretary.
    assert all(r == ["sms", "sms", "call", "secretary"] for r in per_member.values())
    days = sorted({to_local(s.taken_at).date() for s in taken})
    assert days == [date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 4), date(2026, 12, 8)]
    tasks = db.session.scalars(select(CallTask)).all()
    assert len(tasks) == len(members) and all(t.status == OPEN for t in tasks)
    notices = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == NOTICE)).all()
    assert len(notices) == len(members)
    assert all("书记" in n.payload["to"] and "*" in n.payload["text"] for n in notices)


def test_bound_member_gets_wechat_rung_first(app_ctx: Flask) -> None:
    with controlled_clock() as clock:
        _, members = started_at(members_per_branch=1)
        db.session.add(ChannelBinding(member_id=members[0].id, channel="wechat_oa",
                                      openid="o-test-1", method="admin"))
        db.session.commit()
        tick(clock, "2026-12-01 10:00")
    rungs = {s.rung for s in steps()}
    assert rungs == {"wechat", "sms"}  # console stands in for WeChat for the bound member


def test_settling_stops_reminders_and_cancels_the_call_task(app_ctx: Flask) -> None:
    with controlled_clock() as clock:
        campaign, members = started_at(members_per_branch=1)
        for day in (1, 2, 4):
            tick(clock, f"2026-12-{day:02d} 10:00")
        member = members[0]
        cm = cm_of(campaign.id, member.id)
        run_unit(lambda: workflow.confirm(cm.card_id, member.id, **confirm_kwargs()))
        before = len(steps())
        done = tick(clock, "2026-12-08 10:00")
    assert done["calls_cancelled"] == 1
    assert done["secretary"] == len(members) - 1
    assert len(steps()) == before + len(members) - 1
    task = db.session.scalar(select(CallTask).where(CallTask.member_id == member.id))
    assert task is not None and task.status == CANCELLED


def test_downtime_catches_up_one_step_a_day_not_a_burst(app_ctx: Flask) -> None:
    with controlled_clock() as clock:
        _, members = started_at(members_per_branch=1)
        # Down from the card until 12-09: four steps are overdue by then.
        first = tick(clock, "2026-12-09 15:00")
        again = tick(clock, "2026-12-09 20:00")
        nxt = tick(clock, "2026-12-10 10:00")
    assert first["sms"] == len(members) and sum(again.values()) == 0
    assert nxt["sms"] == len(members)
    assert sorted(s.step for s in steps()) == sorted([0, 1] * len(members))


def test_no_member_message_is_queued_in_quiet_hours(app_ctx: Flask) -> None:
    with controlled_clock() as clock:
        started_at(members_per_branch=1)
        for at in ("2026-12-01 21:00", "2026-12-01 23:30", "2026-12-02 07:59", "2026-12-02 06:00"):
            assert sum(tick(clock, at).values()) == 0
        before = outbox_count()
        tick(clock, "2026-12-02 08:30")  # out of quiet hours but before the send hour
        assert outbox_count() == before
        tick(clock, "2026-12-02 10:00")
        assert outbox_count() > before


def test_disputed_member_is_not_reminded(app_ctx: Flask) -> None:
    from service.campaign import corrections

    with controlled_clock() as clock:
        campaign, members = started_at(members_per_branch=1)
        cm = cm_of(campaign.id, members[0].id)
        run_unit(lambda: corrections.dispute(cm.card_id, members[0].id,
                                             proposed={"address": "新地址1号"},
                                             channel="wechat", identity="bound_openid"))
        tick(clock, "2026-12-01 10:00")
    assert {s.campaign_member_id for s in steps()} == {cm_of(campaign.id, m.id).id
                                                        for m in members[1:]}


@pytest.mark.parametrize("hour", [9, 12, 20])
def test_rerunning_a_tick_adds_nothing(app_ctx: Flask, hour: int) -> None:
    with controlled_clock() as clock:
        started_at(members_per_branch=1)
        tick(clock, f"2026-12-01 {hour:02d}:00")
        first = outbox_count()
        tick(clock, f"2026-12-01 {hour:02d}:00")
        assert outbox_count() == first


def test_steps_keep_the_call_and_secretary_when_days_run_short() -> None:
    from service.campaign.reminders import DEFAULT_POLICY, steps_for

    policy = {**DEFAULT_POLICY, "reminder_days": [1, 2, 4, 6]}
    assert steps_for(policy, {"wechat", "sms"}) == ["wechat", "wechat", "call", "secretary"]
    assert steps_for(policy, {"sms"}) == ["sms", "sms", "call", "secretary"]
    assert steps_for(policy, set()) == ["call", "secretary"]
    assert steps_for({**policy, "reminder_days": [3]}, {"sms"}) == ["call"]
