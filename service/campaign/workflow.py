"""Workflow use cases: submit, confirm, proxy-confirm, unreachable/re-open and admin edits.

Every function adds and flushes but never commits; the edge runs it through
``service.unit_of_work.run_unit``, which commits once and retries a lost race.
Disputes and their resolution live in ``service.campaign.corrections``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from service.campaign.states import (
    InvalidTransition,
    StaleCard,
    card_is_current,
    membership,
    move,
    new_card,
    open_campaign,
    require_state,
)
from service.clock import now_utc, today_local
from service.errors import Forbidden, NotFound, ServiceError
from service.evidence import consent, ledger, proxy_record
from service.evidence.canonical import sha256_hex
from service.extensions import db
from service.labels import PROXY_METHOD_LABELS
from service.models import Attachment, Campaign, CampaignMember, Card, EvidenceEntry, Member
from service.models.campaign import (
    CONFIRMED,
    DISPUTED,
    DRAFT,
    OPEN,
    PENDING,
    PROXY_CONFIRMED,
    SETTLED_STATES,
    UNREACHABLE,
)
from service.models.correction import OPEN as REQUEST_OPEN
from service.models.correction import WITHDRAWN, CorrectionRequest
from service.models.member import MemberVersion
from service.records import supplement
from service.roster.members import find_by_id_number, update_member

PROXY_METHODS = PROXY_METHOD_LABELS
# The note on a 待补充 member's campaign row while it waits in draft without a card: it tells
# that wait from a draft campaign's, so filling the gaps sends the card.
WAITING_NOTE = "信息待补充，暂不发确认卡"


@dataclass(frozen=True)
class Confirmation:
    """The evidence a confirmation rests on; ``repeated`` when it had already been recorded."""

    entry: EvidenceEntry
    repeated: bool


def submit(campaign_id: int, member_id: int, *, actor: str) -> Card:
    """Put the member's record to them for confirmation (draft → pending) with a new card."""
    open_campaign(campaign_id)
    cm = membership(campaign_id, member_id)
    require_state(cm, {DRAFT}, "提交确认")
    _refuse_if_incomplete(cm.member)
    if cm.note == WAITING_NOTE:
        cm.note = None
    card = new_card(cm, actor=actor, why="submit")
    move(cm, PENDING, actor=actor, action="submit")
    return card


def confirm(
    card_id: int, member_id: int, *, channel: str, identity: str, actor: str | None = None,
    provider_msg_id: str | None = None, payload: bytes | None = None,
    ip: str | None = None, user_agent: str | None = None,
) -> Confirmation:
    """Record the member's own confirmation of a card, bound to the card's hash.

    :param identity: how the caller established it is this member (bound_openid, sms_phone,
        signed_link, ...); the channel layer decides, this records it.
    :raises StaleCard: the card is not the member's current one, or the record changed since.
    """
    actor = actor or f"member:{member_id}"
    card = _members_card(card_id, member_id)
    cm = membership(card.campaign_id, member_id)
    if cm.card_id == card.id and cm.state in SETTLED_STATES:
        return Confirmation(_settling_entry(card), repeated=True)  # double click, retry
    open_campaign(card.campaign_id)
    if cm.card_id != card.id:
        if cm.card is None:
            raise InvalidTransition("该确认卡已失效")
        raise StaleCard(cm.card)
    if cm.state == DISPUTED:
        raise InvalidTransition("您已对该信息提出修改意见，请等待党支部处理后再确认")
    require_state(cm, {PENDING, UNREACHABLE}, "确认信息")
    _refuse_if_drifted(cm, actor)
    if cm.state == UNREACHABLE:  # the member answered: that is the re-contact
        move(cm, PENDING, actor=actor, action="reopen", note="党员本人回复")
    # State first: a racing loser fails at the member's row before it queues for the ledger.
    move(cm, CONFIRMED, actor=actor, action="confirm", channel=channel)
    context = {"channel": channel, "identity": identity, "ip": ip, "user_agent": user_agent,
               "provider_msg_id": provider_msg_id}
    if channel in consent.ELECTRONIC_CHANNELS:
        consent.record_consent(member_id, card, actor=actor, **context)  # type: ignore[arg-type]
    entry = ledger.append(
        ledger.CONFIRMED, actor=actor, member_id=member_id, card=card, payload=payload,
        data={"decision": "confirm", "consent_version": consent.CONSENT_VERSION},
        idempotency_key=_settle_key(card), **context,  # type: ignore[arg-type]
    )
    return Confirmation(entry, repeated=False)


def proxy_confirm(
    campaign_id: int, member_id: int, *, actor: str, collector_name: str, method: str,
    confirmed_on: date, note: str | None = None, reason: str = "外出",
    attachments: list[Attachment] | None = None, contact: proxy_record.Contact | None = None,
) -> EvidenceEntry:
    """Record a collector's confirmation for a member who cannot sign (phone/SMS/WeChat/paper).

    It must keep a file (recording, screenshot, signed paper form) or a contact record.
    """
    if method not in PROXY_METHODS:
        raise ServiceError(f"确认方式“{method}”无效，应为电话、短信、微信或纸质采集表")
    if confirmed_on > today_local():
        raise ServiceError("确认日期不能晚于今天")
    if not collector_name.strip():
        raise ServiceError("请填写信息采集员姓名")
    open_campaign(campaign_id)
    cm = membership(campaign_id, member_id)
    if cm.state in SETTLED_STATES and cm.card is not None:
        return _settling_entry(cm.card)
    require_state(cm, {PENDING, DISPUTED}, "代为确认")
    proxy_record.require_kept(attachments or [], contact)
    _refuse_if_drifted(cm, actor)
    card = cm.card
    assert card is not None
    _withdraw_open_requests(cm, actor)
    cm.note = note
    move(cm, PROXY_CONFIRMED, actor=actor, action="proxy_confirm", method=method)
    data = {"method": method, "confirmed_on": confirmed_on.isoformat(),
            "collector": collector_name.strip(), "reason": reason.strip() or "外出",
            "note_sha256": sha256_hex(note) if note else None}
    if contact is not None:
        data["contact"] = contact.facts()
    entry = ledger.append(
        ledger.PROXY_CONFIRMED, actor=actor, member_id=member_id, card=card, channel=method,
        identity="collector", attachments=attachments or [], data=data,
        idempotency_key=_settle_key(card),
    )
    if contact is not None:
        proxy_record.keep_contact(entry, method, contact, actor)
    return entry


def mark_unreachable(campaign_id: int, member_id: int, *, actor: str, note: str) -> None:
    """Mark a member who cannot be reached (pending → unreachable; a 待补充 member waiting
    without a card, draft → unreachable: the collector's attempt); the note is required."""
    if not (note or "").strip():
        raise ServiceError("标记为失联未确认时必须填写情况说明")
    open_campaign(campaign_id)
    cm = membership(campaign_id, member_id)
    waiting = cm.state == DRAFT and cm.card_id is None and cm.member.to_supplement
    if not waiting:
        require_state(cm, {PENDING}, "标记为失联未确认")
    cm.note = note.strip()
    move(cm, UNREACHABLE, actor=actor, action="mark_unreachable", note=cm.note)


def reopen(campaign_id: int, member_id: int, *, actor: str, note: str | None = None) -> Card:
    """Put a re-contacted member back to pending, with a fresh card if the record changed."""
    open_campaign(campaign_id)
    cm = membership(campaign_id, member_id)
    require_state(cm, {UNREACHABLE}, "重新联系")
    _refuse_if_incomplete(cm.member)
    if not card_is_current(cm):
        new_card(cm, actor=actor, why="reopen")
    move(cm, PENDING, actor=actor, action="reopen", note=note)
    assert cm.card is not None
    return cm.card


def edit_record(
    member_id: int, record: dict[str, Any], *, actor: str, basis: str | None,
) -> MemberVersion | None:
    """Change a member's record as an admin and re-ask the member where the record changed."""
    member = db.session.get(Member, member_id)
    if member is None:
        raise NotFound("党员不存在")
    id_number = record.get("id_number")
    if id_number and id_number != member.id_number:
        # A number given at last (待补充) must not be someone else's: refuse, do not fail.
        other = find_by_id_number(id_number)
        if other is not None and other.id != member.id:
            raise ServiceError(f"公民身份证号已登记在“{other.org.name}”的党员{other.name}名下，"
                               "属重复采集，未保存：请核对")
    version = update_member(member, record, actor=actor, source="admin_edit", basis=basis)
    if version is not None:
        record_changed(member_id, actor=actor)
    return version


def record_changed(member_id: int, *, actor: str) -> list[Card]:
    """Issue new cards wherever the member's record no longer matches the card put to them.

    Call after any change to a member made outside this module (imports, other pages).
    A settled member goes back to pending; a pending, disputed or unreachable one keeps its
    state with the new card.
    """
    issued = []
    rows = db.session.scalars(
        select(CampaignMember).join(Campaign).where(
            CampaignMember.member_id == member_id, Campaign.status == OPEN,
        )
    )
    for cm in rows:
        if cm.card_id is None:
            # A 待补充 member whose gaps are now filled is owed the card it waited for.
            if cm.state == DRAFT and cm.note == WAITING_NOTE and not cm.member.to_supplement:
                issued.append(submit(cm.campaign_id, member_id, actor=actor))
            continue
        if card_is_current(cm):
            continue
        issued.append(new_card(cm, actor=actor, why="record_changed"))
        next_state = PENDING if cm.state in SETTLED_STATES else cm.state
        move(cm, next_state, actor=actor, action="record_changed")
    return issued


def _refuse_if_incomplete(member: Member) -> None:
    if member.to_supplement:
        raise ServiceError(f"该党员信息待补充（缺少{supplement.describe(member.missing_items)}），"
                           "补齐后才能发确认卡")


def _members_card(card_id: int, member_id: int) -> Card:
    card = db.session.get(Card, card_id)
    if card is None:
        raise NotFound("确认卡不存在")
    if card.member_id != member_id:
        raise Forbidden("该确认卡不属于您")
    return card


def _refuse_if_drifted(cm: CampaignMember, actor: str) -> None:
    if not card_is_current(cm):  # changed outside the workflow: re-ask, keep the new card
        card = new_card(cm, actor=actor, why="record_changed")
        move(cm, cm.state, actor=actor, action="record_changed")
        raise StaleCard(card, keep=True)


def _settle_key(card: Card) -> str:
    # One settling entry per card, whoever settles it: the unique index stops a second.
    return f"settle:{card.id}"


def _settling_entry(card: Card) -> EvidenceEntry:
    entry = ledger.by_key(_settle_key(card))
    if entry is None:
        raise InvalidTransition("该确认卡的确认记录缺失，请联系管理员核查证据链")
    return entry


def _withdraw_open_requests(cm: CampaignMember, actor: str) -> None:
    for request in db.session.scalars(
        select(CorrectionRequest).where(
            CorrectionRequest.campaign_member_id == cm.id,
            CorrectionRequest.status == REQUEST_OPEN,
        )
    ):
        request.status = WITHDRAWN
        request.reason = "信息采集员已与党员核实原信息无误"
        request.resolved_by = actor
        request.resolved_at = now_utc()
