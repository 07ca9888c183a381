"""A small committee, a campaign started over it, tiny files of each kind (tests, benches)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from service.campaign.campaigns import start_campaign
from service.clock import now_utc, today_local
from service.evidence.proxy_record import Contact
from service.extensions import db
from service.models import Campaign, CampaignMember, Member, Org
from service.unit_of_work import run_unit
from testkit.factories import make_member, make_org

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64
MP3 = b"ID3\x03\x00" + b"\x00" * 64


def committee(members_per_branch: int = 2) -> tuple[Org, list[Org], list[Member]]:
    """Add a committee with two branches and a few members in each; commit."""
    root = make_org(name="中共测试工作流委员会")
    branches = [make_org(root, name=f"中共测试工作流第{i}支部委员会") for i in (1, 2)]
    members = [make_member(b) for b in branches for _ in range(members_per_branch)]
    db.session.commit()
    return root, branches, members


def started(members_per_branch: int = 2, submit: bool = True) -> tuple[Campaign, list[Member]]:
    """Return a started campaign over a fresh committee and its members."""
    root, _, members = committee(members_per_branch)
    deadline = today_local() + timedelta(days=30)
    campaign = run_unit(lambda: start_campaign(root, deadline, actor="admin:1", submit=submit))
    return campaign, members


def cm_of(campaign_id: int, member_id: int) -> CampaignMember:
    """Return the member's row in the campaign, fresh from the database."""
    db.session.expire_all()
    from service.campaign.states import membership

    return membership(campaign_id, member_id)


def confirm_kwargs(**overrides: Any) -> dict[str, Any]:
    """Return the channel arguments of a WeChat confirmation."""
    return {"channel": "wechat", "identity": "bound_openid", "provider_msg_id": "msg-1",
            "payload": b"<xml>confirm</xml>", **overrides}


def yesterday() -> date:
    """Return yesterday in Asia/Shanghai."""
    return today_local() - timedelta(days=1)


def phone_contact(said: str = "经逐项核对，本人确认信息无误") -> Contact:
    """Return the contact record of a phone call an hour ago (what a proxy confirmation keeps)."""
    return Contact("13800138000", now_utc().replace(microsecond=0) - timedelta(hours=1), said)
