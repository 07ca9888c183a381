"""What a proxy confirmation keeps: the structured contact record, files added later, and the
list of what is kept (for the member page and the printed annotation)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from service.clock import now_utc
from service.errors import NotFound, ServiceError
from service.evidence import ledger
from service.evidence.canonical import canonical_json, sha256_hex
from service.extensions import db
from service.models import Attachment, Card, ContactRecord, EvidenceEntry
from service.records.phones import mask_phone

KEPT_LABELS = {"audio": "通话录音", "image": "截图或照片", "application/pdf": "纸质采集表扫描件"}
NO_RECORD = ("代为确认必须留存确认记录：请上传通话录音、截图或签字的纸质采集表照片，"
             "或填写联系记录（所用号码或账号、联系时间、党员的答复）")


@dataclass(frozen=True)
class Contact:
    """How the collector reached the member: the number or account used, when, what was said."""

    used: str
    at: datetime  # UTC
    said: str

    def facts(self) -> dict[str, Any]:
        """Return what the ledger entry holds of it: no full number, hashes of the rest."""
        return {"used_masked": mask_used(self.used),
                "at": self.at.isoformat() + "Z",
                "sha256": sha256_hex(canonical_json(
                    {"used": self.used, "at": self.at.isoformat(), "said": self.said}))}


def contact_from(used: str, at: datetime | None, said: str) -> Contact | None:
    """Return the structured record from a form, None if left blank, or refuse it half-filled."""
    used, said = used.strip(), said.strip()
    if not used and at is None and not said:
        return None
    missing = [name for name, value in (("所用号码或账号", used), ("联系时间", at),
                                        ("党员的答复", said)) if not value]
    if missing:
        raise ServiceError("联系记录不完整，请填写：" + "、".join(missing))
    assert at is not None
    if at > now_utc():
        raise ServiceError("联系时间不能晚于现在")
    return Contact(used[:64], at, said)


def require_kept(attachments: list[Attachment], contact: Contact | None) -> None:
    """Refuse a proxy confirmation that keeps neither a file nor a contact record."""
    if not attachments and contact is None:
        raise ServiceError(NO_RECORD)


def keep_contact(entry: EvidenceEntry, method: str, contact: Contact, actor: str) -> None:
    """Store the contact record the confirmation entry's hash covers."""
    db.session.add(ContactRecord(
        entry_id=entry.id, member_id=entry.member_id, method=method, contact_used=contact.used,
        contacted_at=contact.at, member_said=contact.said, recorded_by=actor))


def add_attachments(entry_id: int, attachments: list[Attachment], *,
                    actor: str) -> EvidenceEntry:
    """Append the files as their own ledger entry, linked to the proxy confirmation."""
    confirmation = db.session.get(EvidenceEntry, entry_id)
    if confirmation is None or confirmation.kind != ledger.PROXY_CONFIRMED:
        raise NotFound("代为确认记录不存在")
    if not attachments:
        raise ServiceError("请选择要补充的附件")
    card = db.session.get(Card, confirmation.card_id) if confirmation.card_id else None
    return ledger.append(
        ledger.ATTACHMENT, actor=actor, member_id=confirmation.member_id, card=card,
        attachments=attachments,
        data={"for": confirmation.evidence_id, "for_entry_hash": confirmation.entry_hash})


def contact_of(entry: EvidenceEntry) -> ContactRecord | None:
    """Return the contact record of a proxy confirmation, if it has one."""
    return db.session.scalar(select(ContactRecord).where(ContactRecord.entry_id == entry.id))


def kept_files(entry: EvidenceEntry) -> list[Attachment]:
    """Return the files of a proxy confirmation: uploaded with it or added later."""
    later = select(EvidenceEntry.id).where(
        EvidenceEntry.kind == ledger.ATTACHMENT, EvidenceEntry.member_id == entry.member_id,
        EvidenceEntry.body.contains(f'"for":"{entry.evidence_id}"'))
    return list(db.session.scalars(select(Attachment).where(
        (Attachment.entry_id == entry.id) | Attachment.entry_id.in_(later))
        .order_by(Attachment.id)))


def kept_labels(entry: EvidenceEntry) -> list[str]:
    """Return what is kept for a proxy confirmation, e.g. ["联系记录", "通话录音"]."""
    labels = ["联系记录"] if json.loads(entry.body)["data"].get("contact") else []
    for att in kept_files(entry):
        label = KEPT_LABELS.get(att.mime) or KEPT_LABELS.get(att.mime.split("/")[0], "附件")
        if label not in labels:
            labels.append(label)
    return labels


def mask_used(value: str) -> str:
    """Return the number or account used, masked: a phone's middle, most of an account."""
    if sum(c.isdigit() for c in value) >= 7:
        return mask_phone(value)
    return value[:2] + "***" if len(value) > 2 else "***"
