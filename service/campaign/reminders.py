"""Reminder policy (defaults, validation) and the pure decision of which reminder step is due.

Nothing here touches the database: ``escalation`` feeds it facts and acts on the answer.

A member's steps are the escalation ladder expanded by the per-channel caps, skipping rungs
the member cannot be reached on, e.g. WeChat, WeChat, SMS, call task, secretary notice. Step
``k`` becomes due at ``send_hour`` on the ``reminder_days[k]``-th working day after the card
was issued. A step is only taken on a working day inside the send window (``send_hour`` to
``send_until``, never in quiet hours), at most one per member per day: a scheduler that was
down for days catches up one step a day, not with a burst.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from service.campaign.workdays import add_workdays, is_workday, workdays_between
from service.errors import ServiceError

log = logging.getLogger(__name__)
WECHAT, SMS, CALL, SECRETARY = "wechat", "sms", "call", "secretary"
RUNGS = {WECHAT: "微信", SMS: "短信", CALL: "电话（信息采集员）", SECRETARY: "通知支部书记"}
MESSAGE_RUNGS = (WECHAT, SMS)

# Chosen with bench/simulate_campaign.py (bundled response model). At 10,000 members these
# gave 96.7% confirmed by the deadline (79.5% themselves, 17.3% by a collector), 99.8%
# accounted for, 2.24 messages per member, 2,048 call tasks. At 1,000 members, reminder days
# [1,2,3,5,7,8] gave 97.2% / 2.36 messages / 199 calls, and [2,4,6,8] with one WeChat and one
# SMS gave 96.9% / 1.81 messages / 268 calls: fewer reminders push work onto the collectors.
# Working days after the card, one per step.
DEFAULT_POLICY: dict[str, Any] = {
    "reminder_days": [1, 2, 4, 6, 8],
    "send_hour": 10,
    "send_until": 20,  # reminders are queued before this hour: the last goes out before 20:00
    "quiet_hours": [21, 8],  # no member message from 21:00 to 08:00
    "caps": {WECHAT: 2, SMS: 2},
    "ladder": [WECHAT, SMS, CALL, SECRETARY],
    "digest_days_before": [3, 0],  # deadline digests: 3 working days before and on the day
    "digest_hour": 9,
    "correction_days": [3, 8, 13],  # open correction: branch, then committee (10/15-day limits)
}
LABELS = {
    "reminder_days": "提醒工作日", "send_hour": "发送时刻", "send_until": "最晚发送时刻",
    "quiet_hours": "免打扰时段", "caps": "各渠道提醒上限", "ladder": "升级顺序",
    "digest_days_before": "截止前汇总提醒", "digest_hour": "汇总提醒时刻",
    "correction_days": "修改申请催办工作日",
}


def effective_policy(stored: dict[str, Any] | None) -> dict[str, Any]:
    """Return the campaign's policy: the stored keys over the defaults, validated."""
    return validate_policy({**DEFAULT_POLICY, **(stored or {})})


def policy_or_default(stored: dict[str, Any] | None) -> dict[str, Any]:
    """Return the effective policy, or the defaults if the stored one is broken (logged).

    The policy command refuses bad values, so this only meets a hand-edited row; reminding
    by the defaults is better for the members than stopping the campaign's reminders.
    """
    try:
        return effective_policy(stored)
    except ServiceError as exc:
        log.error("提醒策略无效，按默认策略执行：%s", exc.message)
        return dict(DEFAULT_POLICY)


def validate_policy(policy: dict[str, Any]) -> dict[str, Any]:
    """Return ``policy`` if it is sound; raise ServiceError naming the field and reason."""
    unknown = sorted(set(policy) - set(DEFAULT_POLICY))
    if unknown:
        raise ServiceError(f"提醒策略中有无法识别的项：{'、'.join(unknown)}")
    _days("reminder_days", policy["reminder_days"], minimum=1)
    _days("digest_days_before", policy["digest_days_before"], minimum=0, increasing=False)
    _days("correction_days", policy["correction_days"], minimum=1)
    for key in ("send_hour", "send_until", "digest_hour"):
        _hour(key, policy[key])
    quiet = policy["quiet_hours"]
    if not (isinstance(quiet, list) and len(quiet) == 2):
        raise ServiceError("免打扰时段应为两个整点，如 [21, 8]")
    for hour in quiet:
        _hour("quiet_hours", hour)
    for key in ("send_hour", "send_until", "digest_hour"):
        if in_quiet_hours(policy[key], quiet):
            raise ServiceError(f"{LABELS[key]}（{policy[key]}点）落在免打扰时段内")
    if policy["send_hour"] >= policy["send_until"]:
        raise ServiceError("发送时刻应早于最晚发送时刻")
    ladder = policy["ladder"]
    if (not isinstance(ladder, list) or not ladder or len(set(ladder)) != len(ladder)
            or any(r not in RUNGS for r in ladder)):
        raise ServiceError(f"升级顺序应为以下各项的不重复排列：{'、'.join(RUNGS)}")
    caps = policy["caps"]
    if not isinstance(caps, dict) or any(
            k not in MESSAGE_RUNGS or not _int_in(v, 0, 5) for k, v in caps.items()):
        raise ServiceError("各渠道提醒上限应为 {\"wechat\": 0–5, \"sms\": 0–5}")
    return policy


def in_quiet_hours(hour: int, quiet: list[int]) -> bool:
    """Return whether a local hour falls in the quiet hours [start, end) (may wrap midnight)."""
    start, end = quiet
    return start <= hour or hour < end if start > end else start <= hour < end


def in_send_window(local: datetime, policy: dict[str, Any]) -> bool:
    """Return whether a member message may be queued at this local time.

    ``send_until`` is the end of the window: with 20, the last reminder starts before 20:00.
    """
    return (policy["send_hour"] <= local.hour < policy["send_until"]
            and not in_quiet_hours(local.hour, policy["quiet_hours"]))


def steps_for(policy: dict[str, Any], reachable: set[str]) -> list[str]:
    """Return the member's step rungs: the ladder expanded by caps, unreachable rungs skipped,
    cut to one step per reminder day."""
    steps: list[str] = []
    for rung in policy["ladder"]:
        if rung in MESSAGE_RUNGS:
            if rung in reachable:
                steps += [rung] * int(policy["caps"].get(rung, 0))
        else:
            steps.append(rung)
    # More steps than reminder days: drop the last messages, never the call or the secretary,
    # so every member who stays silent reaches a person.
    while len(steps) > len(policy["reminder_days"]):
        last_message = max((i for i, r in enumerate(steps) if r in MESSAGE_RUNGS), default=None)
        steps.pop(last_message if last_message is not None else -1)
    return steps


@dataclass(frozen=True)
class Due:
    """The step a member is due for now: its index and rung."""

    step: int
    rung: str


def due_step(policy: dict[str, Any], steps: list[str], *, issued_on: date, taken: int,
             last_taken_on: date | None, today: date) -> Due | None:
    """Return the next step to take today, or None (all taken, not due, one taken today, or
    today is not a working day: reminders and escalations go out on working days only).

    ``taken`` counts the steps already taken for this card; steps are taken in order, so a
    missed one is taken late rather than skipped.
    """
    if taken >= len(steps) or last_taken_on == today or not is_workday(today):
        return None
    due_on = add_workdays(issued_on, policy["reminder_days"][taken])
    return Due(taken, steps[taken]) if due_on <= today else None


def deadline_digest_due(policy: dict[str, Any], deadline: date, today: date) -> int | None:
    """Return the working days left if a deadline digest is due today, else None."""
    if not is_workday(today) and today != deadline:
        return None
    left = workdays_between(today, deadline)
    return left if left in policy["digest_days_before"] else None


def _days(key: str, value: Any, *, minimum: int, increasing: bool = True) -> None:
    if (not isinstance(value, list) or not value
            or not all(_int_in(v, minimum, 60) for v in value)):
        raise ServiceError(f"{LABELS[key]}应为 {minimum}–60 之间的整数列表")
    if increasing and any(b <= a for a, b in zip(value, value[1:], strict=False)):
        raise ServiceError(f"{LABELS[key]}应逐项递增")


def _hour(key: str, value: Any) -> None:
    if not _int_in(value, 0, 23):
        raise ServiceError(f"{LABELS[key]}应为 0–23 之间的整点")


def _int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
