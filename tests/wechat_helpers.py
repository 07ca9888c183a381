"""Helpers for tests that send through the WeChat fake: bound members and a started campaign."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from service.campaign.campaigns import start_campaign
from service.clock import today_local
from service.extensions import db
from service.models import ChannelBinding, Member, OutboxMessage
from service.models.channel import BY_ADMIN, WECHAT_MP, WECHAT_OA
from service.unit_of_work import run_unit
from testkit.fakes.wechat import FakeWeChat
from testkit.workflow import committee


def oa_openid(member: Member) -> str:
    return f"o-oa-{member.id}"


def mp_openid(member: Member) -> str:
    return f"o-mp-{member.id}"


def bind(fake: FakeWeChat, member: Member, channel: str = WECHAT_OA, *,
         following: bool = True, grants: int = 0) -> ChannelBinding:
    """Bind ``member`` on ``channel`` here and register the openid with the fake (no commit)."""
    openid = oa_openid(member) if channel == WECHAT_OA else mp_openid(member)
    if channel == WECHAT_OA:
        fake.follower(openid, following=following)
    else:
        fake.mini_user(openid)
    row = ChannelBinding(member_id=member.id, channel=channel, openid=openid, method=BY_ADMIN,
                         following=following, subscribe_grants=grants)
    db.session.add(row)
    db.session.flush()
    return row


def bound_campaign(fake: FakeWeChat, members_per_branch: int = 1, *,
                   channel: str = WECHAT_OA, following: bool = True,
                   grants: int = 0) -> list[Member]:
    """Start a campaign whose members are bound on ``channel``; return the members."""
    root, _, members = committee(members_per_branch)
    for member in members:
        bind(fake, member, channel, following=following, grants=grants)
    db.session.commit()
    run_unit(lambda: start_campaign(root, today_local() + timedelta(days=30),
                                    actor="admin:1", submit=True))
    return members


def outbox_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


__all__ = ["WECHAT_MP", "WECHAT_OA", "bind", "bound_campaign", "mp_openid", "oa_openid",
           "outbox_rows"]
