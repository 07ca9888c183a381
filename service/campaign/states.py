"""Workflow plumbing: refusals, finding a member's place in a campaign, audited transitions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from service import audit
from service.campaign import cards
from service.clock import now_utc
from service.errors import Conflict, NotFound
from service.evidence import ledger
from service.extensions import db
from service.models import Campaign, CampaignMember, Card
from service.models.campaign import OPEN, PENDING, STATE_LABELS
from service.notify.router import queue_card


class InvalidTransition(Conflict):
    """The member's current state does not allow this step."""


class StaleCard(Conflict):
    """The card answered is no longer the member's current card; carries the current one.

    ``keep`` is set when the refusal itself issued the new card (the record had been changed
    outside the workflow): ``run_unit`` commits that new card, then raises the refusal.
    """

    def __init__(self, card: Card, *, keep: bool = False) -> None:
        super().__init__(
            "您收到的信息已更新，本次确认未生效。请核对最新的信息后重新确认。",
            new_card={"id": card.id, "sha256": card.sha256, "short_code": card.short_code},
        )
        self.card = card
        self.keep = keep


def membership(campaign_id: int, member_id: int) -> CampaignMember:
    """Return the member's row in the campaign, or refuse."""
    cm = db.session.scalar(
        select(CampaignMember).where(
            CampaignMember.campaign_id == campaign_id, CampaignMember.member_id == member_id
        )
    )
    if cm is None:
        raise NotFound("该党员不在本次信息确认范围内")
    return cm


def open_campaign(campaign_id: int) -> Campaign:
    """Return the campaign if it is still running, or refuse."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("信息确认工作不存在")
    if campaign.status != OPEN:
        raise InvalidTransition(f"信息确认工作“{campaign.name}”已结束")
    return campaign


def require_state(cm: CampaignMember, allowed: set[str], doing: str) -> None:
    """Refuse ``doing`` unless the member is in one of the ``allowed`` states."""
    if cm.state not in allowed:
        raise InvalidTransition(f"该党员当前状态为“{STATE_LABELS[cm.state]}”，不能{doing}")


def move(cm: CampaignMember, to_state: str, *, actor: str, action: str, **detail: Any) -> None:
    """Change the member's state and write the audit entry saying who, when and why."""
    before = cm.state
    cm.state = to_state
    cm.state_changed_at = now_utc()
    db.session.flush()  # the optimistic lock on the row is checked here: a racing loser fails
    audit.record(
        f"campaign.{action}", actor=actor, target_type="campaign_member", target_id=cm.id,
        campaign_id=cm.campaign_id, member_id=cm.member_id, card_id=cm.card_id,
        from_state=before, to_state=to_state, **detail,
    )
    if to_state == PENDING and cm.card is not None:
        # Whenever a member is put to (or back to) confirmation, their current card goes out,
        # in this transaction; keyed by card, so a card is queued once however often it moves.
        queue_card(cm, cm.card)


def new_card(cm: CampaignMember, *, actor: str, why: str) -> Card:
    """Issue the member a new card and put its hash in the ledger."""
    card = cards.issue_card(cm)
    ledger.append(
        ledger.CARD_ISSUED, actor=actor, member_id=cm.member_id, card=card,
        data={"campaign": cm.campaign_id, "short_code": card.short_code, "why": why},
        idempotency_key=f"issued:{card.id}",
    )
    return card


def card_is_current(cm: CampaignMember) -> bool:
    """Return whether the member's card still shows the record as it is now."""
    return cm.card is not None and cm.card.sha256 == cards.current_hash(cm.member, cm.campaign_id)
