"""What goes in the signature box of a member's printed form: how and when they confirmed."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import select

from service.clock import format_local
from service.evidence import ledger, proxy_record
from service.extensions import db
from service.labels import CHANNEL_LABELS, PROXY_METHOD_LABELS
from service.models import CampaignMember, EvidenceEntry
from service.models.campaign import SETTLED_STATES

METHOD_LABELS = PROXY_METHOD_LABELS


def signature_note(member_id: int) -> dict[str, str] | None:
    """Return {"text", "evidence_id", "entry_hash"} for the member's latest campaign, or None.

    Only a confirmation that settles the member's current card counts; a pending, disputed or
    re-asked member gets None and the box stays blank for a handwritten signature.
    """
    cm = db.session.scalar(
        select(CampaignMember).where(CampaignMember.member_id == member_id)
        .order_by(CampaignMember.campaign_id.desc()).limit(1)
    )
    if cm is None or cm.state not in SETTLED_STATES or cm.card_id is None:
        return None
    entry = db.session.scalar(
        select(EvidenceEntry).where(
            EvidenceEntry.card_id == cm.card_id,
            EvidenceEntry.kind.in_((ledger.CONFIRMED, ledger.PROXY_CONFIRMED)),
        ).order_by(EvidenceEntry.seq.desc()).limit(1)
    )
    if entry is None:
        return None
    eid = ledger.evidence_id(entry.seq)
    return {"text": _text(entry, eid), "evidence_id": eid, "entry_hash": entry.entry_hash}


def _text(entry: EvidenceEntry, eid: str) -> str:
    if entry.kind == ledger.CONFIRMED:
        how = CHANNEL_LABELS.get(entry.channel or "", entry.channel or "电子方式")
        return f"{format_local(entry.recorded_at)} 通过{how}确认，凭证 {eid}"
    data = json.loads(entry.body)["data"]
    on = date.fromisoformat(data["confirmed_on"])
    how = METHOD_LABELS.get(data["method"], data["method"])
    contact = data.get("contact")
    at = f"{format_local(_utc(contact['at']), '%H:%M')}" if contact else ""
    kept = proxy_record.kept_labels(entry)
    kept_text = f"（留存{'、'.join(kept)}备查）" if kept else ""
    return (f"因{data['reason']}，由信息采集员{data['collector']}于"
            f"{on.year}年{on.month}月{on.day}日{at}通过{how}确认{kept_text}，凭证 {eid}")


def _utc(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.removesuffix("Z"))


