"""The member-reminder tick: for every pending member, take the escalation step due now.

One call looks at every open campaign, asks ``reminders.due_step`` who is due, and for each
takes the step in the caller's transaction: a REMINDER outbox row (WeChat or SMS rung), a
call task for the branch's collector, or a notice to the branch secretary. Each step is
recorded as a ``ReminderStep`` whose deterministic key also keys what it made, so running
the tick again (after a crash, a restart, a second process) adds nothing. Only pending
members are reminded: a settled card stops them, a disputed one waits for the admin
(``digests.remind_corrections`` reminds the admin instead). Never commits.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time

from sqlalchemy import func, select, update

from service.campaign import notices
from service.campaign.reminders import (
    CALL,
    SECRETARY,
    SMS,
    WECHAT,
    due_step,
    in_send_window,
    policy_or_default,
    steps_for,
)
from service.campaign.workdays import add_workdays
from service.clock import LOCAL_TZ, to_local
from service.extensions import db
from service.models import (
    CallTask,
    Campaign,
    CampaignMember,
    Card,
    ChannelBinding,
    Member,
    Org,
    ReminderStep,
)
from service.models.call_task import CANCELLED
from service.models.call_task import OPEN as TASK_OPEN
from service.models.campaign import OPEN, PENDING, SETTLED_STATES
from service.models.outbox import REMINDER
from service.notify import outbox, router

CALL_DUE_HOUR = 18  # a call task is due by the end of the next working day


def remind_members(now: datetime) -> Counter[str]:
    """Take every step due at ``now`` (naive UTC) in every open campaign; count them by rung."""
    done: Counter[str] = Counter()
    done["calls_cancelled"] = cancel_settled_calls(now)
    local = to_local(now)
    for campaign in db.session.scalars(select(Campaign).where(Campaign.status == OPEN)):
        policy = policy_or_default(campaign.reminder_policy)
        if in_send_window(local, policy):
            done.update(_remind_campaign(campaign, policy, now))
    return done


def _remind_campaign(campaign: Campaign, policy: dict, now: datetime) -> Counter[str]:
    today = to_local(now).date()
    taken = {(cm_id, card_id): (n, last) for cm_id, card_id, n, last in db.session.execute(
        select(ReminderStep.campaign_member_id, ReminderStep.card_id, func.count(),
               func.max(ReminderStep.taken_at))
        .where(ReminderStep.campaign_id == campaign.id)
        .group_by(ReminderStep.campaign_member_id, ReminderStep.card_id))}
    due: list[tuple[int, int, int, int]] = []  # cm id, member id, card id, steps taken
    for cm_id, member_id, card_id, issued_at in db.session.execute(
        select(CampaignMember.id, CampaignMember.member_id, CampaignMember.card_id,
               Card.issued_at).join(Card, Card.id == CampaignMember.card_id)
        .where(CampaignMember.campaign_id == campaign.id, CampaignMember.state == PENDING)
    ):
        n, last = taken.get((cm_id, card_id), (0, None))
        # Cheap pre-check with the longest possible ladder; the member's own comes below.
        probe = ["?"] * len(policy["reminder_days"])
        last_on = to_local(last).date() if last else None
        if due_step(policy, probe, issued_on=to_local(issued_at).date(), taken=n,
                    last_taken_on=last_on, today=today):
            due.append((cm_id, member_id, card_id, n))
    done: Counter[str] = Counter()
    bound = _bound_members([d[1] for d in due])
    _preload(Member, [d[1] for d in due])  # one query per 500 instead of one per member
    _preload(CampaignMember, [d[0] for d in due])
    _preload(Card, [d[2] for d in due])
    for cm_id, member_id, card_id, n in due:
        member = db.session.get(Member, member_id)
        assert member is not None
        channels = {rung: message_channel(member, rung, member_id in bound)
                    for rung in (WECHAT, SMS)}
        steps = steps_for(policy, {r for r, c in channels.items() if c})
        if n >= len(steps):
            continue
        cm = db.session.get(CampaignMember, cm_id)
        card = db.session.get(Card, card_id)
        assert cm is not None and card is not None
        rung = steps[n]
        _take(campaign, cm, card, member, n, rung, channels.get(rung), steps, now)
        done[rung] += 1
    return done


def _take(campaign: Campaign, cm: CampaignMember, card: Card, member: Member, step: int,
          rung: str, channel: str | None, steps: list[str], now: datetime) -> None:
    key = f"rem:{cm.id}:{card.id}:{step}"
    if rung in (WECHAT, SMS):
        assert channel is not None
        outbox.enqueue(REMINDER, channel=channel, key=key, member_id=member.id, card_id=card.id,
                       campaign_member_id=cm.id, payload={"step": step, "rung": rung})
    elif rung == CALL:
        reminded = sum(1 for r in steps[:step] if r in (WECHAT, SMS))
        reason = (f"已提醒{reminded}次仍未确认，请电话联系" if reminded
                  else "无可用的消息渠道，请电话联系")
        db.session.add(CallTask(
            idempotency_key=f"call:{cm.id}:{card.id}:{step}", campaign_member_id=cm.id,
            member_id=member.id, org_id=member.org_id, status=TASK_OPEN, due_at=call_due(now),
            reason=reason))
    elif rung == SECRETARY:
        org = db.session.get(Org, member.org_id)
        assert org is not None
        text = (f"{campaign.name}：党员{notices.mask_name(member.name)}（确认码{card.short_code}）"
                f"经多次提醒和电话联系仍未确认，请书记协助联系，截止{campaign.deadline:%m月%d日}。")
        notices.notify_secretary(key, org, text, member_id=member.id, campaign_id=campaign.id)
    db.session.add(ReminderStep(
        idempotency_key=key, campaign_id=campaign.id, campaign_member_id=cm.id, card_id=card.id,
        step=step, rung=rung, channel=channel, taken_at=now))
    db.session.flush()


def message_channel(member: Member, rung: str, bound: bool) -> str | None:
    """Return the configured channel that carries ``rung`` to the member, or None.

    The console channel (demo, simulation) stands in for a rung no real channel of which is
    configured: for WeChat only for members with a WeChat binding, for SMS only with a mobile.
    """
    family = router.WECHAT_CHANNELS if rung == WECHAT else router.SMS_CHANNELS
    ladder = router.ladder()
    real = [c for c in ladder if c in family]
    for name in real:
        if router.can_address(member, name):
            return name
    if real or "console" not in ladder:
        return None
    return "console" if (bound if rung == WECHAT else bool(member.mobile)) else None


def cancel_settled_calls(now: datetime) -> int:
    """Cancel the open call tasks of members who settled their card; return how many."""
    settled = select(CampaignMember.id).where(CampaignMember.state.in_(SETTLED_STATES))
    result = db.session.execute(
        update(CallTask).where(CallTask.status == TASK_OPEN,
                               CallTask.campaign_member_id.in_(settled))
        .values(status=CANCELLED, outcome="党员已完成确认，无需再联系", done_at=now)
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


def finish_call(task: CallTask, *, outcome: str, actor: str, now: datetime) -> None:
    """Record that the collector made the call (the admin pages and the simulation use it)."""
    if task.status == TASK_OPEN:
        task.status, task.outcome, task.done_by, task.done_at = "done", outcome, actor, now


def call_due(now: datetime) -> datetime:
    """Return the end of the next working day after ``now``, as naive UTC."""
    day = add_workdays(to_local(now).date(), 1)
    local = datetime.combine(day, time(CALL_DUE_HOUR), tzinfo=LOCAL_TZ)
    return local.astimezone(UTC).replace(tzinfo=None)


def _preload(model: type, ids: list[int]) -> None:
    for i in range(0, len(ids), 500):
        db.session.scalars(select(model).where(model.id.in_(ids[i:i + 500]))).all()


def _bound_members(member_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for i in range(0, len(member_ids), 500):
        found.update(db.session.scalars(
            select(ChannelBinding.member_id).where(
                ChannelBinding.member_id.in_(member_ids[i:i + 500]),
                ChannelBinding.revoked_at.is_(None))))
    return found

