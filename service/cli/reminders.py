"""`flask reminders …`: show and set a campaign's reminder policy, list collectors' call tasks."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy import select

from service import audit
from service.campaign.campaigns import find_campaign
from service.campaign.reminders import DEFAULT_POLICY, LABELS, RUNGS, effective_policy
from service.clock import format_local
from service.errors import ServiceError
from service.extensions import db
from service.holidays.coverage import campaign_notice
from service.models import CallTask, Member
from service.models.call_task import OPEN, STATUS_LABELS
from service.records.phones import mask_phone
from service.unit_of_work import run_unit

group = AppGroup("reminders", help="提醒策略与电话任务。")
policy_group = AppGroup("policy", help="信息确认工作的提醒策略。")
group.add_command(policy_group)


@policy_group.command("show")
@click.option("--campaign", "campaign_id", type=int, default=None, help="工作编号（默认最近一次）")
def show(campaign_id: int | None) -> None:
    """Show the campaign's effective policy (defaults where it sets nothing)."""
    campaign = _campaign(campaign_id)
    try:
        policy = effective_policy(campaign.reminder_policy)
    except ServiceError as exc:
        raise click.ClickException(f"已保存的提醒策略无效：{exc.message}") from exc
    click.echo(f"信息确认工作 #{campaign.id}“{campaign.name}”，截止 {campaign.deadline}：")
    for key, value in policy.items():
        mark = "" if key in (campaign.reminder_policy or {}) else "（默认）"
        click.echo(f"  {key}  {LABELS[key]}：{_show(key, value)}{mark}")
    warning = campaign_notice(campaign)
    if warning:
        click.echo(warning, err=True)


@policy_group.command("set")
@click.option("--campaign", "campaign_id", type=int, default=None, help="工作编号（默认最近一次）")
@click.option("--reset", is_flag=True, help="先恢复全部默认值")
@click.argument("items", nargs=-1, metavar="项=JSON值 …")
def set_policy(campaign_id: int | None, reset: bool, items: tuple[str, ...]) -> None:
    """Set policy items, e.g. send_hour=9 'reminder_days=[1,3,5,7,9]' 'caps={"sms":1}'."""
    changes: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or key not in DEFAULT_POLICY:
            raise click.BadParameter(f"“{item}”应为 项=值，项为 {'、'.join(DEFAULT_POLICY)} 之一")
        try:
            changes[key] = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"{LABELS[key]}的值“{raw}”不是有效的 JSON") from exc

    try:
        stored = run_unit(partial(store_policy, campaign_id, changes, reset=reset))
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    shown = json.dumps(stored, ensure_ascii=False) if stored else "全部默认"
    click.echo(f"已保存提醒策略：{shown}")


def store_policy(campaign_id: int | None, changes: dict[str, Any], *, reset: bool
                 ) -> dict[str, Any]:
    """Change a campaign's reminder policy (from the defaults when ``reset``), audited;
    return the items now stored."""
    campaign = _campaign(campaign_id)
    stored = {} if reset else dict(campaign.reminder_policy or {})
    stored.update(changes)
    effective_policy(stored)  # refuse before anything is saved
    campaign.reminder_policy = stored
    audit.record("campaign.reminder_policy", actor="cli", target_type="campaign",
                 target_id=campaign.id, policy=stored)
    return stored


@group.command("calls")
@click.option("--all", "show_all", is_flag=True, help="包括已完成和已取消的任务")
def calls(show_all: bool) -> None:
    """List collectors' call tasks, oldest first (phones masked)."""
    query = select(CallTask, Member).join(Member, Member.id == CallTask.member_id)
    if not show_all:
        query = query.where(CallTask.status == OPEN)
    rows = db.session.execute(query.order_by(CallTask.due_at, CallTask.id)).all()
    if not rows:
        click.echo("没有待联系的电话任务。" if not show_all else "没有电话任务。")
    for task, member in rows:
        phone = mask_phone(member.mobile) if member.mobile else "未登记手机"
        click.echo(f"#{task.id} {STATUS_LABELS[task.status]} {member.name} {phone} "
                   f"期限 {format_local(task.due_at)}：{task.reason}")


def _campaign(campaign_id: int | None) -> Any:
    try:
        return find_campaign(campaign_id)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc


def _show(key: str, value: Any) -> str:
    if key == "ladder":
        return " → ".join(RUNGS[r] for r in value)
    if key == "caps":
        return "，".join(f"{RUNGS[k]}最多{v}次" for k, v in value.items())
    if key == "quiet_hours":
        return f"{value[0]}:00–{value[1]:02d}:00"
    if key in ("send_hour", "send_until", "digest_hour"):
        return f"{value}点"
    return "、".join(str(v) for v in value) + " 个工作日" if isinstance(value, list) else str(value)
