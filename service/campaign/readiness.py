"""What still has to happen before confirmation work can start over a part of the org tree,
said in Chinese with the way forward: import the orgs, import the roster, start a campaign."""

from __future__ import annotations

from sqlalchemy import func, select

from service.extensions import db
from service.models import Campaign, Member, Org
from service.models.member import ACTIVE
from service.roster.orgs import in_subtree

NOT_STARTED = "尚未开展信息确认工作"


def roster_counts(org: Org | None) -> tuple[int, int]:
    """Return (orgs, active members) in ``org`` and below, or everywhere for None."""
    orgs = select(func.count(Org.id))
    members = (select(func.count(Member.id)).join(Org, Org.id == Member.org_id)
               .where(Member.record_status == ACTIVE))
    if org is not None:
        orgs, members = orgs.where(in_subtree(org)), members.where(in_subtree(org))
    return db.session.scalar(orgs) or 0, db.session.scalar(members) or 0


def any_campaign() -> bool:
    """Return whether any campaign was ever started."""
    return db.session.scalar(select(Campaign.id).limit(1)) is not None


def next_step(orgs: int, members: int, *, can_start: bool) -> str:
    """Say that no campaign runs yet, what is missing and what to do next.

    ``can_start``: the reader imports rosters and starts campaigns (a committee admin, the
    organisation department, an operator at the command line); others are told whom to ask.
    """
    if not can_start:
        if not members:
            return (f"{NOT_STARTED}：您的管理范围内还没有党员名册。请联系党委信息管理员导入党员名册"
                    "（附件4）并开始确认工作。")
        return (f"{NOT_STARTED}：党员名册已导入（{members} 名党员），请等待党委信息管理员开始确认"
                "工作；开始后党员将收到确认卡。")
    start = "再开始确认工作（flask campaign start --org 党组织全称 --deadline 截止日期）。"
    if not members and orgs <= 1:
        return (f"{NOT_STARTED}：请先导入党组织名册（附件3，导入页面或 flask orgs import）和"
                f"党员名册（附件4，导入页面或 flask members import），{start}")
    if not members:
        return f"{NOT_STARTED}：请先导入党员名册（附件4，导入页面或 flask members import），{start}"
    return (f"{NOT_STARTED}：党员名册已导入（{members} 名党员），请开始确认工作"
            "（flask campaign start --org 党组织全称 --deadline 截止日期）。")
