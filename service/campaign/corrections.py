"""Disputes and their answers: correction requests in the branch admin's queue, with a diff."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select

from service.campaign.states import (
    InvalidTransition,
    StaleCard,
    membership,
    move,
    new_card,
    open_campaign,
    require_state,
)
from service.clock import now_utc, today_local
from service.errors import Forbidden, NotFound, ServiceError
from service.evidence import ledger
from service.evidence.canonical import canonical_hash, canonical_json, sha256_hex
from service.extensions import db
from service.models import Card, CorrectionRequest, Org
from service.models.campaign import CONFIRMED, DISPUTED, PENDING, PROXY_CONFIRMED, UNREACHABLE
from service.models.correction import ACCEPTED, OPEN, REJECTED
from service.records.fields import MEMBER_LABELS, SENSITIVE_MEMBER_KEYS
from service.records.idcard import mask_id
from service.records.phones import mask_phone
from service.records.validate import validate_member
from service.roster.members import member_record, update_member
from service.roster.orgs import in_subtree

_DATE_KEYS = {"birth_date", "joined_on", "full_on"}
_FLAG_KEYS = {"is_lost", "is_floating"}


def dispute(
    card_id: int, member_id: int, *, proposed: dict[str, str], note: str | None = None,
    channel: str, identity: str, actor: str | None = None, provider_msg_id: str | None = None,
    payload: bytes | None = None, ip: str | None = None, user_agent: str | None = None,
) -> CorrectionRequest:
    """Record the member's dispute of a card: which fields are wrong and what they should be."""
    actor = actor or f"member:{member_id}"
    unknown = [k for k in proposed if k not in MEMBER_LABELS]
    if unknown:
        raise ServiceError(f"无法识别的信息项：{'、'.join(unknown)}")
    proposed = {k: str(v).strip() for k, v in proposed.items()}
    if not proposed and not (note or "").strip():
        raise ServiceError("请说明哪一项信息有误，以及正确的内容")
    card = db.session.get(Card, card_id)
    if card is None:
        raise NotFound("确认卡不存在")
    if card.member_id != member_id:
        raise Forbidden("该确认卡不属于您")
    cm = membership(card.campaign_id, member_id)
    key = f"dispute:{card.id}"
    if cm.card_id == card.id and cm.state == DISPUTED and (done := ledger.by_key(key)):
        return _request_for(done.card_id)  # double click, provider retry
    open_campaign(card.campaign_id)
    if cm.card_id != card.id and cm.card is not None:
        raise StaleCard(cm.card)
    if cm.state in (CONFIRMED, PROXY_CONFIRMED):
        raise InvalidTransition("您已确认过该信息；如需更正，请联系党支部管理员")
    require_state(cm, {PENDING, UNREACHABLE}, "提出修改意见")
    request = CorrectionRequest(
        campaign_member_id=cm.id, member_id=member_id, card_id=card.id, org_id=cm.member.org_id,
        fields=sorted(proposed), proposed=canonical_json(proposed),
        note=(note or "").strip() or None,
    )
    db.session.add(request)
    move(cm, DISPUTED, actor=actor, action="dispute", fields=sorted(proposed))
    ledger.append(
        ledger.DISPUTED, actor=actor, member_id=member_id, card=card, channel=channel,
        identity=identity, provider_msg_id=provider_msg_id, payload=payload, ip=ip,
        user_agent=user_agent, idempotency_key=key,
        data={"fields": sorted(proposed),
              "proposed_masked": {k: _mask(k, v) for k, v in proposed.items()},
              "proposed_sha256": canonical_hash(proposed),
              "note_sha256": sha256_hex(request.note) if request.note else None},
    )
    return request


def diff(request: CorrectionRequest) -> list[dict[str, Any]]:
    """Return the field-by-field comparison the admin answers: label, current and proposed."""
    current = member_record(request.campaign_member.member)
    proposed = proposed_values(request)
    return [
        {"field": k, "label": MEMBER_LABELS[k], "current": _text(current.get(k)), "proposed": v}
        for k, v in proposed.items()
    ]


def proposed_values(request: CorrectionRequest) -> dict[str, str]:
    """Return what the member proposed, decrypted, in form order."""
    values: dict[str, str] = json.loads(request.proposed)
    return {k: values[k] for k in MEMBER_LABELS if k in values}


def queue(org: Org) -> list[CorrectionRequest]:
    """Return the open requests of members in ``org`` and below, oldest first."""
    return list(db.session.scalars(
        select(CorrectionRequest).join(Org, Org.id == CorrectionRequest.org_id)
        .where(CorrectionRequest.status == OPEN, in_subtree(org))
        .order_by(CorrectionRequest.created_at, CorrectionRequest.id)
    ))


def resolve(
    request_id: int, *, accept: bool, actor: str, basis: str | None = None,
    reason: str | None = None, values: dict[str, Any] | None = None,
) -> Card:
    """Answer a request: accept (change the record on a basis) or reject (with a reason the
    member sees); either way the member gets a new card to confirm."""
    request = db.session.get(CorrectionRequest, request_id)
    if request is None:
        raise NotFound("修改申请不存在")
    if request.status != OPEN:
        raise InvalidTransition("该修改申请已处理")
    cm = request.campaign_member
    open_campaign(cm.campaign_id)
    require_state(cm, {DISPUTED}, "处理修改申请")
    if accept:
        if not (basis or "").strip():
            raise ServiceError("采纳修改时必须填写修改依据")
        changes = _coerce(values if values is not None else proposed_values(request))
        record = {**member_record(cm.member), **changes}
        errors = [p for p in validate_member(record, today_local()) if p.severity == "error"]
        if errors:
            raise ServiceError("修改后的信息有误：" + "；".join(p.message for p in errors))
        update_member(cm.member, changes, actor=actor, source="correction", basis=basis.strip())
        request.status, request.basis = ACCEPTED, basis.strip()
    else:
        if not (reason or "").strip():
            raise ServiceError("不采纳修改时必须填写理由，理由将告知党员")
        request.status, request.reason = REJECTED, reason.strip()
    request.resolved_by, request.resolved_at = actor, now_utc()
    card = new_card(cm, actor=actor, why="accepted" if accept else "rejected")
    move(cm, PENDING, actor=actor, action="accept_correction" if accept else "reject_correction",
         request_id=request.id)
    return card


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in MEMBER_LABELS:
            raise ServiceError(f"无法识别的信息项：{key}")
        if key == "branch":
            raise ServiceError("所在党支部的变更请通过组织关系转接办理")
        text = value.strip() if isinstance(value, str) else value
        if text in ("", None):
            out[key] = None
        elif key in _DATE_KEYS and isinstance(text, str):
            try:
                out[key] = date.fromisoformat(text)
            except ValueError as exc:
                raise ServiceError(
                    f"{MEMBER_LABELS[key]}“{text}”不是有效日期（应为 YYYY-MM-DD）") from exc
        elif key in _FLAG_KEYS and isinstance(text, str):
            if text not in ("是", "否"):
                raise ServiceError(f"{MEMBER_LABELS[key]}应填“是”或“否”")
            out[key] = text == "是"
        else:
            out[key] = text
    return out


def _request_for(card_id: int | None) -> CorrectionRequest:
    request = db.session.scalar(
        select(CorrectionRequest).where(CorrectionRequest.card_id == card_id)
    )
    assert request is not None
    return request


def _mask(key: str, value: str) -> str:
    if key == "id_number":
        return mask_id(value)
    return mask_phone(value) if key in SENSITIVE_MEMBER_KEYS else value


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "是" if value else "否"
    return value.isoformat() if isinstance(value, date) else value
