"""The versioned consent to electronic confirmation, recorded with a member's first one."""

from __future__ import annotations

from sqlalchemy import select

from service.evidence import ledger
from service.evidence.canonical import sha256_hex
from service.extensions import db
from service.models import Card, EvidenceEntry

CONSENT_VERSION = "v1"
CONSENT_V1 = (
    "本人知悉并同意：党组织通过微信、短信或网页链接向本人发送的党员基本信息采集表内容，"
    "由本人通过绑定的微信账号、登记的手机号码或发给本人的专属链接进行确认或提出修改意见，"
    "该电子方式的确认与本人在《党员基本信息采集表》上签字确认具有同等效力。"
    "本人确认时所见的信息内容、确认时间及所用方式将由党组织加密留存备查，"
    "确认后信息如有任何改动均可被发现；如信息有误，本人将通过“修改信息”说明，不作确认。"
)
TEXTS = {"v1": CONSENT_V1}
# Channels on which the member acts in person and electronically (not a collector's record).
ELECTRONIC_CHANNELS = frozenset({"wechat", "miniprogram", "sms", "web", "console"})


def has_consented(member_id: int, version: str = CONSENT_VERSION) -> bool:
    """Return whether the ledger holds the member's consent to this version of the text."""
    key = _key(member_id, version)
    return db.session.scalar(
        select(EvidenceEntry.id).where(EvidenceEntry.idempotency_key == key)
    ) is not None


def record_consent(
    member_id: int, card: Card, *, actor: str, channel: str, identity: str,
    ip: str | None = None, user_agent: str | None = None, provider_msg_id: str | None = None,
) -> EvidenceEntry | None:
    """Record the member's consent unless it is already in the ledger; return the new entry."""
    if has_consented(member_id):
        return None
    text = TEXTS[CONSENT_VERSION]
    return ledger.append(
        ledger.CONSENT, actor=actor, member_id=member_id, card=card, channel=channel,
        identity=identity, ip=ip, user_agent=user_agent, provider_msg_id=provider_msg_id,
        data={"consent_version": CONSENT_VERSION, "text": text, "text_sha256": sha256_hex(text)},
        idempotency_key=_key(member_id, CONSENT_VERSION),
    )


def _key(member_id: int, version: str) -> str:
    return f"consent:{member_id}:{version}"
