"""What a member has to answer: their memberships in open campaigns and the card out for each.

Every member-facing door (SMS reply, WeChat text, card page, mini-program) asks the same
question, so it is answered once here.
"""

from __future__ import annotations

from sqlalchemy import select

from service.crypto import blind_indexes
from service.extensions import db
from service.models import Campaign, CampaignMember, ChannelBinding, Member
from service.models.campaign import DISPUTED, OPEN, PENDING, UNREACHABLE

AWAITING = (PENDING, UNREACHABLE)  # a card the member can still confirm


def memberships(member_id: int) -> list[CampaignMember]:
    """Return the member's memberships in open campaigns, newest campaign first."""
    return list(db.session.scalars(
        select(CampaignMember).join(Campaign, Campaign.id == CampaignMember.campaign_id)
        .where(CampaignMember.member_id == member_id, Campaign.status == OPEN)
        .order_by(Campaign.id.desc())))


def awaiting(member_id: int) -> list[CampaignMember]:
    """Return the memberships whose card waits for the member's answer (pending/unreachable)."""
    return [cm for cm in memberships(member_id)
            if cm.state in AWAITING and cm.card_id is not None]


def disputed(member_id: int) -> list[CampaignMember]:
    """Return the memberships the member disputed and the branch has not answered yet."""
    return [cm for cm in memberships(member_id) if cm.state == DISPUTED]


def members_by_phone(phone: str) -> list[Member]:
    """Return the members whose mobile on record is ``phone`` (a family may share one)."""
    indexes = blind_indexes(phone, "mobile")
    if not indexes:
        return []
    return list(db.session.scalars(select(Member).where(Member.mobile_bidx.in_(indexes))))


def member_for_openid(channel: str, openid: str) -> Member | None:
    """Return the member an openid is bound to on ``channel``, or None."""
    return db.session.scalar(
        select(Member).join(ChannelBinding, ChannelBinding.member_id == Member.id)
        .where(ChannelBinding.channel == channel, ChannelBinding.openid == openid,
               ChannelBinding.revoked_at.is_(None)))
