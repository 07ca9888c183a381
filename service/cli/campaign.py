"""`flask campaign …`: start a confirmation campaign and watch it from the command line."""

from __future__ import annotations

import json
from datetime import date

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from service.campaign.campaigns import find_campaign, progress, start_campaign
from service.campaign.readiness import any_campaign, next_step, roster_counts
from service.campaign.workflow import WAITING_NOTE
from service.clock import today_local
from service.errors import ServiceError
from service.extensions import db
from service.holidays.coverage import campaign_notice
from service.models import Campaign, CampaignMember, Member
from service.models.campaign import STATE_LABELS
from service.records.idcard import mask_id
from service.roster.held import held_count
from service.roster.orgs import find_org
from service.unit_of_work import run_unit

group = AppGroup("campaign", help="党员信息确认工作。")


def _date(ctx: click.Context, param: click.Parameter, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"“{value}”不是有效日期，应为 YYYY-MM-DD") from exc


@group.command(
    "start", help="开展信息确认：为该党组织及下级的每名党员生成确认卡并发送。")
@click.option("--org", "org_name", required=True, help="党组织全称（含其下级党组织）")
@click.option("--deadline", required=True, callback=_date, help="截止日期 YYYY-MM-DD")
@click.option("--name", default=None, help="工作名称（默认按党组织命名）")
@click.option("--draft", is_flag=True, help="只建立名单，暂不提交党员确认")
def start(org_name: str, deadline: date, name: str | None, draft: bool) -> None:
    """Start a campaign: one card per member of the org subtree."""
    try:
        org = find_org(org_name)
        campaign = run_unit(lambda: start_campaign(
            org, deadline, actor="cli", name=name, submit=not draft, today=today_local(),
        ))
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    done = progress(campaign)
    click.echo(f"已启动信息确认工作 #{campaign.id}“{campaign.name}”，截止 {deadline.isoformat()}，"
               f"共 {done.total} 名党员，已提交确认 {done.total - done.counts['draft']} 名。")
    _calendar_notice(campaign)
    if waiting := db.session.scalar(select(func.count(CampaignMember.id)).where(
            CampaignMember.campaign_id == campaign.id, CampaignMember.note == WAITING_NOTE)):
        click.echo(f"其中 {waiting} 名党员信息待补充（失联或停止党籍），暂不发送确认卡；"
                   "采集员记录联系情况后计为已处理，补齐后自动发卡。")
    if held := held_count(org):
        click.echo(f"另有 {held} 名党员待修正，暂不发送确认卡；改正后自动加入本次工作。")


@group.command(
    "status", help="查看信息确认进度（各状态人数，--json 输出每名党员的状态）。")
@click.option("--org", "org_name", default=None, help="党组织全称（默认最近一次工作）")
@click.option("--campaign", "campaign_id", type=int, default=None, help="工作编号")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出，含每名党员的状态")
def status(org_name: str | None, campaign_id: int | None, as_json: bool) -> None:
    """Show counts per state; with --json also each member's state keyed by a masked ID."""
    try:
        org = find_org(org_name) if org_name else None
        if campaign_id is None and not any_campaign():
            raise ServiceError("没有找到信息确认工作。" + next_step(*roster_counts(org),
                                                              can_start=True))
        campaign = find_campaign(campaign_id, org)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    done = progress(campaign)
    if as_json:
        click.echo(json.dumps({
            "campaign": {"id": campaign.id, "name": campaign.name, "org": campaign.org.name,
                         "deadline": campaign.deadline.isoformat(), "status": campaign.status},
            "total": done.total, "complete": done.complete, "counts": done.counts,
            "members": _member_states(campaign.id),
        }, ensure_ascii=False, indent=2))
        return
    click.echo(f"信息确认工作 #{campaign.id}“{campaign.name}”，"
               f"截止 {campaign.deadline.isoformat()}")
    for state, label in STATE_LABELS.items():
        click.echo(f"  {label}：{done.counts[state]}")
    click.echo(f"  合计：{done.total}；" + ("已全部完成" if done.complete
                                          else f"尚有 {len(done.unfinished)} 名未完成"))
    _calendar_notice(campaign)


def _calendar_notice(campaign: Campaign) -> None:
    """Say so (on stderr) when the campaign counts working days in a year no source knows."""
    notice = campaign_notice(campaign)
    if notice:
        click.echo(notice, err=True)


def _member_states(campaign_id: int) -> dict[str, str]:
    rows = db.session.execute(
        select(Member, CampaignMember.state).join(CampaignMember.member)
        .where(CampaignMember.campaign_id == campaign_id).order_by(Member.id)
    ).all()
    masked = [(mask_id(m.id_number) if m.id_number else "无身份证号", m.id, s) for m, s in rows]
    seen: dict[str, int] = {}
    for key, _, _ in masked:
        seen[key] = seen.get(key, 0) + 1
    # Masks keep 8 of 18 characters, so two members can share one; the member id tells them apart.
    return {(key if seen[key] == 1 else f"{key}#{mid}"): state for key, mid, state in masked}
