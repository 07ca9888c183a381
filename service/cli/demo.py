"""`flask demo seed|campaign`: a synthetic, deterministic demo roster and campaigns over it."""

from __future__ import annotations

import time
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import case, func, select

from service import audit
from service.clock import today_local
from service.extensions import db
from service.models import Member
from service.records.fields import PROBATIONARY_MEMBER
from service.records.synthetic import MAX_MEMBERS, MIN_MEMBERS, SyntheticRoster, synthetic_roster
from service.roster.demo import (
    DemoAccount,
    campaign_orgs,
    demo_password,
    has_orgs,
    roster_size,
    seed_accounts,
    seed_members,
    seed_orgs,
)
from service.unit_of_work import run_batches

group = AppGroup("demo", help="演示数据。")


@group.command(
    "seed", help="生成确定性的虚构演示数据（县级党委、基层党委、党总支、支部、党员，"
                 "身份证号校验位有效）和演示账号。")
@click.option("--members", "size", default=300, show_default=True, type=int,
              help=f"党员人数（{MIN_MEMBERS}–{MAX_MEMBERS}）")
@click.option("--seed", default=1, show_default=True, type=int,
              help="随机种子：种子相同，生成的数据相同")
@click.option("--if-empty", is_flag=True,
              help="数据库中已有数据时跳过，不报错（供 make demo 重复运行）")
def seed(size: int, seed: int, if_empty: bool) -> None:
    """Generate a synthetic org tree, members and demo sign-ins into an empty database."""
    if not MIN_MEMBERS <= size <= MAX_MEMBERS:
        raise click.ClickException(
            f"党员人数应在{MIN_MEMBERS}到{MAX_MEMBERS:,}之间，实为{size:,}")
    existing = roster_size()
    if existing or has_orgs():
        if if_empty:
            click.echo(f"数据库中已有数据（党员{existing:,}名），跳过演示数据生成。")
            return
        # Demo people mixed into a real roster could be confirmed, exported or reported on.
        raise click.ClickException(
            f"数据库中已有党组织或党员数据（党员{existing:,}名）：演示数据只能写入空数据库。"
            "如只想在空库时生成，请加 --if-empty。")
    started = time.monotonic()
    roster = synthetic_roster(size, seed, today_local())
    written = 0
    try:
        org_ids = seed_orgs(roster)
        password = demo_password(current_app.config["ADMIN_PASSWORD_MIN_LENGTH"])
        accounts = seed_accounts(roster, org_ids, password)
        audit.record("demo.seed", actor="cli", members=size, seed=seed, orgs=len(org_ids),
                     accounts=[a.username for a in accounts])
        with click.progressbar(length=size, label="写入党员", show_pos=True) as bar:
            # One transaction per batch (the first one also holds the orgs and accounts):
            # acceptable for throw-away demo data, and a million rows in one transaction
            # would strain the database. The default 300 fit in a single batch.
            for count in run_batches(seed_members(roster, org_ids)):
                written += count
                bar.update(count)
    except Exception:
        db.session.rollback()
        if written:
            click.echo(f"生成中断：已写入{written:,}名党员，数据不完整，请清空数据库后重新生成。",
                       err=True)
        raise
    _summary(roster, seed, accounts, time.monotonic() - started)


def _summary(roster: SyntheticRoster, seed: int, accounts: list[DemoAccount], seconds: float
             ) -> None:
    types = [o.org_type for o in roster.orgs]
    # SUM(CASE …) rather than COUNT(…) FILTER, which MariaDB lacks.
    probationary, floating, lost = (int(n or 0) for n in db.session.execute(select(
        func.sum(case((Member.member_type == PROBATIONARY_MEMBER, 1), else_=0)),
        func.sum(case((Member.is_floating.is_(True), 1), else_=0)),
        func.sum(case((Member.is_lost.is_(True), 1), else_=0)),
    )).one())
    click.echo(f"已生成演示数据（随机种子 {seed}，用时 {seconds:.1f} 秒）：")
    branches = types.count("631") + types.count("632")
    click.echo(f"  {roster.top.name}下设基层党委 {len(roster.committees())} 个，"
               f"党总支 {types.count('621')} 个，党支部 {branches} 个"
               f"（其中联合党支部 {types.count('632')} 个）")
    click.echo(f"  党员 {roster.size:,} 名（预备党员 {probationary:,} 名，"
               f"流动党员 {floating:,} 名，失联党员 {lost:,} 名）；"
               "人员均为合成，身份证号和手机号不属于真实人员")
    if accounts:
        click.echo("演示账号（在 /admin/ 登录；仅供演示，切勿用于正式环境）：")
        for a in accounts:
            click.echo(f"  账号 {a.username:<10} 密码 {a.password}  {a.role}  {a.org_name}")


@group.command(
    "campaign", help="为每个基层党委各开展一次演示用的信息确认工作（已有进行中的工作时跳过）。")
@click.option("--days", default=21, show_default=True, type=click.IntRange(1, 365),
              help="截止日期距今天数")
def campaign(days: int) -> None:
    """Start a demo campaign over each committee, unless one is already open.

    One per committee, as the committees run the collection and a campaign's digests go to
    the admins of its org; the organisation department sees every campaign.
    """
    from service.campaign.campaigns import progress, start_campaign
    from service.models import Campaign
    from service.models.campaign import OPEN
    from service.unit_of_work import run_unit

    existing = db.session.scalar(select(Campaign).where(Campaign.status == OPEN).limit(1))
    if existing is not None:
        click.echo(f"已有进行中的信息确认工作 #{existing.id}“{existing.name}”，未再新建。")
        return
    orgs = campaign_orgs()
    if not orgs:
        raise click.ClickException("还没有党组织：请先运行 flask demo seed")
    deadline = today_local() + timedelta(days=days)
    started = run_unit(lambda: [start_campaign(org, deadline, actor="demo", today=today_local())
                                for org in orgs])
    click.echo(f"已为 {len(started)} 个基层党委各开展一次演示信息确认工作（截止 "
               f"{deadline.isoformat()}；党委管理员看本党委的，组织部门在后台首页切换查看）：")
    for org, started_one in zip(orgs, started, strict=True):
        click.echo(f"  #{started_one.id} {org.name}：{progress(started_one).total} 名党员")
    click.echo("确认卡已进入发送队列（发送后在 /console 查看）。")
