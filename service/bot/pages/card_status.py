"""What the card page says about where the member stands: settled how, waiting, answered."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from service.clock import to_local
from service.evidence import ledger
from service.evidence.annotation import CHANNEL_LABELS, METHOD_LABELS
from service.extensions import db
from service.models import CampaignMember, Card, CorrectionRequest, EvidenceEntry
from service.models.correction import ACCEPTED, OPEN, REJECTED

OPENED_ACTOR = "signed_link"  # whoever holds the link: opening proves no more than that


@dataclass(frozen=True)
class Settled:
    """How a card was confirmed, for the page that says so."""

    evidence_id: str
    when: str
    how: str
    proxy: bool


def settled(card: Card) -> Settled | None:
    """Return how ``card`` was confirmed (by the member or a collector), or None."""
    entry = db.session.scalar(
        select(EvidenceEntry).where(
            EvidenceEntry.card_id == card.id,
            EvidenceEntry.kind.in_((ledger.CONFIRMED, ledger.PROXY_CONFIRMED)),
        ).order_by(EvidenceEntry.seq).limit(1)
    )
    if entry is None:
        return None
    eid = ledger.evidence_id(entry.seq)
    if entry.kind == ledger.CONFIRMED:
        how = f"本人通过{CHANNEL_LABELS.get(entry.channel or '', '电子方式')}确认"
        at = to_local(entry.recorded_at)
        when = f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"
        return Settled(eid, when, how, proxy=False)
    data = json.loads(entry.body)["data"]
    on = date.fromisoformat(data["confirmed_on"])
    method = METHOD_LABELS.get(data["method"], data["method"])
    how = f"由信息采集员{data['collector']}通过{method}向您核实后代为确认"
    return Settled(eid, f"{on.year}年{on.month}月{on.day}日", how, proxy=True)


def open_request(cm: CampaignMember) -> CorrectionRequest | None:
    """Return the member's correction request still waiting for the branch, if any."""
    return db.session.scalar(
        select(CorrectionRequest).where(
            CorrectionRequest.campaign_member_id == cm.id, CorrectionRequest.status == OPEN,
        ).order_by(CorrectionRequest.id.desc()).limit(1)
    )


def last_answer(cm: CampaignMember) -> CorrectionRequest | None:
    """Return the branch's answer to the member's latest request, if it led to this card."""
    request = db.session.scalar(
        select(CorrectionRequest).where(CorrectionRequest.campaign_member_id == cm.id)
        .order_by(CorrectionRequest.id.desc()).limit(1)
    )
    if request is None or request.status not in (ACCEPTED, REJECTED):
        return None
    return request if request.card_id != cm.card_id else None


def record_opened(card: Card, *, ip: str | None, user_agent: str | None) -> None:
    """Put "opened" in the ledger the first time the card's page is shown (once per card)."""
    ledger.record_event(
        ledger.OPENED, card, actor=OPENED_ACTOR, channel="web",
        data={"ip": ip, "user_agent": (user_agent or "")[:255] or None},
        idempotency_key=f"opened:{card.id}",
    )
