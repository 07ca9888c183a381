"""The campaign simulation's engine: roster, response model, hourly loop, metrics and invariants.

Used by ``bench/simulate_campaign.py`` (10,000 members) and ``tests/test_simulation.py`` (a
few hundred, invariants only). Runs inside an app context with ``testkit.clock`` installed to
follow ``Simulation.now``; every decision goes through the real code.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from service import scheduler
from service.campaign import corrections, workflow
from service.campaign.campaigns import start_campaign
from service.campaign.escalation import finish_call
from service.campaign.reminders import effective_policy, in_quiet_hours
from service.campaign.states import InvalidTransition, StaleCard
from service.campaign.workdays import add_workdays, is_workday
from service.clock import LOCAL_TZ, to_local
from service.errors import ServiceError
from service.evidence.proxy_record import Contact
from service.extensions import db
from service.models import (
    CallTask,
    CampaignMember,
    ChannelBinding,
    CorrectionRequest,
    Member,
    Org,
    OutboxMessage,
    ReminderStep,
)
from service.models.campaign import CONFIRMED, PENDING, PROXY_CONFIRMED, UNREACHABLE
from service.models.outbox import CARD, DELIVERED, NOTICE, REMINDER, SENT
from service.notify.dispatch import drain
from service.unit_of_work import run_unit
from testkit.clock import parse_local
from testkit.roster import load

START = "2026-11-30 09:00"  # a Monday
CAMPAIGN_WORKDAYS = 10  # the branch collection window a county set in 2017 (6/26–7/10)

# The bundled response model. Shares are of the roster; floating members (流动党员) are
# mostly away, lost ones (失联党员) unreachable. ``p`` is the chance to answer the n-th
# message the member reads (card first), within ``delay_hours`` (uniform). Collectors reach
# a member by phone with ``reach`` and then record a proxy confirmation; the unreachable are
# marked so with a note. A secretary's follow-up reaches with ``secretary_reach``.
RESPONSE_MODEL: dict[str, Any] = {
    "segments": {
        "wechat": {"share": 0.64, "reads": ["wechat", "sms"], "p": [0.55, 0.45, 0.40, 0.35],
                   "delay_hours": [0.2, 30]},
        "sms_only": {"share": 0.30, "reads": ["sms"], "p": [0.40, 0.40, 0.35, 0.30],
                     "delay_hours": [0.5, 40]},
        "away": {"share": 0.045, "reads": ["wechat", "sms"], "p": [0.10, 0.10, 0.10, 0.10],
                 "delay_hours": [12, 72]},
        "unreachable": {"share": 0.015, "reads": [], "p": [0.0], "delay_hours": [0, 0]},
    },
    "floating": {"away": 0.5, "wechat": 0.4, "sms_only": 0.1},
    "dispute_share": 0.03,
    "admin_resolve_workdays": [1, 3],
    "reach": {"wechat": 0.9, "sms_only": 0.85, "away": 0.85, "unreachable": 0.0},
    "collector_delay_hours": [2, 30],
    "secretary_reach": 0.7,
}


class Simulation:
    """One simulated campaign; ``now`` is the simulated clock (aware, Asia/Shanghai)."""

    def __init__(self, members: int, seed: int, policy: dict[str, Any] | None = None) -> None:
        self.size, self.rng = members, random.Random(seed)
        self.policy_items = policy or {}
        self.now = parse_local(START)
        self.events: list[tuple[datetime, int, str, tuple[Any, ...]]] = []
        self.seq = 0
        self.segment: dict[int, str] = {}  # member id → segment
        self.read: Counter[int] = Counter()  # messages each member read so far
        self.answering: set[int] = set()  # members with an answer already on its way
        self.seen_outbox = self.seen_calls = 0
        self.deadline_end = self.now

    # ---- setup ---------------------------------------------------------------------------

    def setup(self, start: str) -> None:
        """Seed the roster, assign segments, bind WeChat members, start the campaigns."""
        self.now = parse_local(start)
        load(self.size, 1)
        model = RESPONSE_MODEL
        for member_id, mobile, floating, lost in db.session.execute(
                select(Member.id, Member.mobile, Member.is_floating, Member.is_lost)):
            if lost:
                seg = "unreachable"
            elif floating:
                seg = self._pick(model["floating"])
            else:
                seg = self._pick({k: v["share"] for k, v in model["segments"].items()})
            if seg == "sms_only" and not mobile:
                seg = "away"  # no mobile: only the collector's phone call reaches them
            self.segment[member_id] = seg
            if seg in ("wechat", "away"):
                db.session.add(ChannelBinding(member_id=member_id, channel="wechat_oa",
                                              openid=f"o-sim-{member_id}", method="admin"))
        db.session.commit()
        deadline = add_workdays(self.now.date(), CAMPAIGN_WORKDAYS)
        self.deadline_end = datetime.combine(deadline, time(23, 59), tzinfo=LOCAL_TZ)
        roots = db.session.scalars(select(Org).where(Org.parent_id.is_(None))).all()
        for root in roots:
            campaign = run_unit(lambda r=root: start_campaign(r, deadline, actor="sim"))
            campaign.reminder_policy = dict(self.policy_items)
        effective_policy(self.policy_items)
        db.session.commit()

    def _pick(self, shares: dict[str, float]) -> str:
        x, acc = self.rng.random(), 0.0
        for name, share in shares.items():
            acc += share
            if x < acc:
                return name
        return name

    # ---- the hourly loop -----------------------------------------------------------------

    def run(self) -> None:
        """Advance hour by hour to the end of the deadline day."""
        while self.now <= self.deadline_end:
            self._process_events()
            scheduler.run_all(self._utc())
            drain("sim", batch=200, once=True)
            self._observe()
            self.now += timedelta(hours=1)
        self._process_events()

    def _utc(self) -> datetime:
        return self.now.astimezone(UTC).replace(tzinfo=None)

    def _later(self, hours: float, kind: str, *data: Any) -> None:
        self.seq += 1
        heapq.heappush(self.events, (self.now + timedelta(hours=hours), self.seq, kind, data))

    def _working_hours_later(self, low: float, high: float, kind: str, *data: Any) -> None:
        """Schedule work for staff: after the delay, moved into 09:00–17:00 of a working day."""
        at = self.now + timedelta(hours=self.rng.uniform(low, high))
        while not is_workday(at.date()) or not 9 <= at.hour < 17:
            at = (at + timedelta(hours=1)).replace(minute=0)
        self.seq += 1
        heapq.heappush(self.events, (at, self.seq, kind, data))

    def _observe(self) -> None:
        """Hand every message sent this hour to the response model; note new call tasks."""
        rows = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id > self.seen_outbox)
            .order_by(OutboxMessage.id)).all()
        for row in rows:
            self.seen_outbox = row.id
            if row.state not in (SENT, DELIVERED):
                continue
            if row.kind == NOTICE and row.payload.get("audience") == "secretary":
                self._working_hours_later(4, 24, "secretary", row.payload["campaign_id"],
                                          row.payload["member_id"])
            elif row.kind in (CARD, REMINDER) and row.member_id is not None:
                self._message(row)
        for task in db.session.scalars(select(CallTask).where(CallTask.id > self.seen_calls)
                                       .order_by(CallTask.id)).all():
            self.seen_calls = task.id
            self._working_hours_later(*RESPONSE_MODEL["collector_delay_hours"], "call", task.id)
        db.session.commit()

    def _message(self, row: OutboxMessage) -> None:
        member_id = row.member_id
        assert member_id is not None
        seg = RESPONSE_MODEL["segments"][self.segment[member_id]]
        rung = "card" if row.kind == CARD else row.payload.get("rung")
        if rung != "card" and rung not in seg["reads"] or member_id in self.answering:
            return
        if rung == "card" and not seg["reads"]:
            return
        p = seg["p"][min(self.read[member_id], len(seg["p"]) - 1)]
        self.read[member_id] += 1
        if self.rng.random() < p:
            self.answering.add(member_id)
            channel = "sms" if row.channel.startswith("sms") or rung == "sms" else "wechat"
            self._later(self.rng.uniform(*seg["delay_hours"]), "answer", member_id, row.card_id,
                        channel)

    # ---- events --------------------------------------------------------------------------

    def _process_events(self) -> None:
        while self.events and self.events[0][0] <= self.now:
            at, _, kind, data = heapq.heappop(self.events)
            saved, self.now = self.now, at
            try:
                getattr(self, f"_on_{kind}")(*data)
            except (InvalidTransition, StaleCard, ServiceError):
                db.session.rollback()  # the state moved on meanwhile (settled, new card)
            finally:
                self.now = saved

    def _on_answer(self, member_id: int, card_id: int, channel: str) -> None:
        self.answering.discard(member_id)
        identity = "sms_phone" if channel == "sms" else "bound_openid"
        if self.rng.random() < RESPONSE_MODEL["dispute_share"]:
            request = run_unit(lambda: corrections.dispute(
                card_id, member_id, proposed={"address": "（模拟）新住址1号"}, channel=channel,
                identity=identity))
            low, high = RESPONSE_MODEL["admin_resolve_workdays"]
            self._working_hours_later(low * 24, high * 24, "resolve", request.id)
            return
        run_unit(lambda: workflow.confirm(card_id, member_id, channel=channel,
                                          identity=identity, provider_msg_id="sim"))

    def _on_resolve(self, request_id: int) -> None:
        run_unit(lambda: corrections.resolve(request_id, accept=True, actor="admin:sim",
                                             basis="（模拟）党员本人提供的材料"))
        member_id = db.session.get(CorrectionRequest, request_id).member_id
        self.read[member_id] = 0  # an engaged member: the new card gets the first-message odds

    def _on_call(self, task_id: int) -> None:
        task = db.session.get(CallTask, task_id)
        cm = db.session.get(CampaignMember, task.campaign_member_id)
        if task.status != "open" or cm.state != PENDING:
            return
        self._contact(cm, RESPONSE_MODEL["reach"][self.segment[cm.member_id]], "collector")
        run_unit(lambda: finish_call(db.session.get(CallTask, task_id), outcome="已电话联系",
                                     actor="collector:sim", now=self._utc()))

    def _on_secretary(self, campaign_id: int, member_id: int) -> None:
        cm = db.session.scalar(select(CampaignMember).where(
            CampaignMember.campaign_id == campaign_id, CampaignMember.member_id == member_id))
        if cm is not None and cm.state == PENDING:
            reach = RESPONSE_MODEL["secretary_reach"] if self.segment[member_id] != "unreachable" \
                else 0.0
            self._contact(cm, reach, "secretary")

    def _contact(self, cm: CampaignMember, reach: float, who: str) -> None:
        campaign_id, member_id = cm.campaign_id, cm.member_id
        if self.rng.random() < reach:
            run_unit(lambda: workflow.proxy_confirm(
                campaign_id, member_id, actor=f"{who}:sim", collector_name="模拟信息采集员",
                method="phone", confirmed_on=self.now.date(), note="电话核对，本人确认无误",
                contact=Contact("模拟联系电话", self.now, "电话核对，本人确认无误")))
        elif self.segment[member_id] == "unreachable" or who == "secretary":
            run_unit(lambda: workflow.mark_unreachable(
                campaign_id, member_id, actor=f"{who}:sim",
                note="多次电话无人接听，家属称长期外出，暂无法联系"))

    # ---- results -------------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        """Return the metrics, the invariants' findings and the printable lines."""
        db.session.expire_all()
        cms = db.session.scalars(select(CampaignMember)).all()
        n = len(cms)
        states = Counter(cm.state for cm in cms)
        noted = sum(1 for cm in cms if cm.state == UNREACHABLE and (cm.note or "").strip())
        settled = states[CONFIRMED] + states[PROXY_CONFIRMED]
        messages = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind.in_((CARD, REMINDER)))).all()
        sent = [m for m in messages if m.state in (SENT, DELIVERED)]
        quiet = effective_policy(self.policy_items)["quiet_hours"]
        in_quiet = [m for m in messages
                    if in_quiet_hours(to_local(m.created_at).hour, quiet)
                    or (m.sent_at and in_quiet_hours(to_local(m.sent_at).hour, quiet))]
        steps = Counter(s.idempotency_key for s in db.session.scalars(select(ReminderStep)))
        # A fallback row re-routes the same reminder; two *sent* rows of one step would be a
        # duplicate.
        reminders_sent = Counter(m.idempotency_key.split(":fb:")[0] for m in sent
                                 if m.kind == REMINDER)
        settled_at = {cm.id: cm.state_changed_at for cm in cms
                      if cm.state in (CONFIRMED, PROXY_CONFIRMED)}
        after_settle = [m for m in messages if m.kind == REMINDER
                        and m.campaign_member_id in settled_at
                        and m.created_at > settled_at[m.campaign_member_id]]
        calls = Counter(t.status for t in db.session.scalars(select(CallTask)))
        by_kind = Counter(m.kind for m in sent)
        per_member = len(sent) / n if n else 0.0
        result = {
            "members": n, "confirmed": settled / n, "self_confirmed": states[CONFIRMED] / n,
            "proxy_confirmed": states[PROXY_CONFIRMED] / n,
            "accounted": (settled + noted) / n, "messages_per_member": per_member,
            "call_tasks": sum(calls.values()), "quiet_messages": len(in_quiet),
            "duplicate_steps": sum(v - 1 for v in (steps + reminders_sent).values() if v > 2)
            + sum(v - 1 for v in reminders_sent.values() if v > 1),
            "reminders_after_settle": len(after_settle),
            "policy": effective_policy(self.policy_items),
        }
        failures = []
        if result["confirmed"] < 0.95:
            failures.append(f"截止时确认率 {result['confirmed']:.1%} < 95%")
        if per_member > 4:
            failures.append(f"人均消息 {per_member:.2f} > 4")
        for key, label in (("quiet_messages", "免打扰时段消息"), ("duplicate_steps", "重复提醒"),
                           ("reminders_after_settle", "确认后仍提醒")):
            if result[key]:
                failures.append(f"{label} {result[key]} 条")
        result["failures"] = failures
        result["lines"] = [
            f"截止（{self.deadline_end:%Y-%m-%d}）时已确认 {result['confirmed']:.1%}"
            f"（本人确认 {result['self_confirmed']:.1%}，代确认 {result['proxy_confirmed']:.1%}）"
            "  目标 ≥ 95%",
            f"已完成（确认 + 代确认 + 失联有说明）{result['accounted']:.1%}；"
            f"各状态 {dict(states)}",
            f"人均消息 {per_member:.2f} 条（确认卡 {by_kind[CARD]:,}，提醒 {by_kind[REMINDER]:,}）"
            "  目标 ≤ 4",
            f"信息采集员电话任务 {result['call_tasks']:,} 个（{dict(calls)}）",
            f"免打扰时段消息 {result['quiet_messages']} 条，"
            f"重复提醒 {result['duplicate_steps']} 条，"
            f"确认后仍发出的提醒 {result['reminders_after_settle']} 条",
        ]
        return result


