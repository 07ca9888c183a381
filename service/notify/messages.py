"""What members and admins read: the card, reminder and notice texts, built at send time.

Texts carry the member's name, the masked ID number and phone (never the full ones), the
short card code with the reply instructions, and the member's card link. The card text
without the link is kept within one 70-character SMS segment; the link makes it two.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy import select

from service.clock import now_utc
from service.crypto import cipher
from service.extensions import db
from service.links import card_link
from service.models import Card, Member, OtpCode, OutboxMessage
from service.models.outbox import CARD, NOTICE, OTP, REMINDER
from service.notify.channel import Outgoing
from service.records.idcard import mask_id
from service.records.phones import mask_phone

REPLY_HINT = "回复1确认，回复2有误"
CODE_PURPOSE = "otp.code"  # the encryption purpose of the code in an OTP row's payload


def card_text(name: str, masked_id: str, masked_phone: str, code: str, link: str) -> str:
    """Return the card message."""
    return (f"{name}同志：请核对您的党员信息（身份证{masked_id}，手机{masked_phone}），"
            f"确认码{code}。{REPLY_HINT}。详情：{link}")


def reminder_text(name: str, code: str, link: str) -> str:
    """Return the reminder message."""
    return f"{name}同志：您的党员信息尚未确认，确认码{code}。{REPLY_HINT}。详情：{link}"


def otp_text(code: str, minutes: int) -> str:
    """Return the one-time code message (no name: it only proves the phone)."""
    return (f"您的验证码为{code}，{minutes}分钟内有效，仅用于党员信息确认，"
            "请勿告诉他人。如非本人操作请忽略。")


class RowLike(Protocol):
    """What composing needs of an outbox row (an ORM row or a Core result row)."""

    id: int
    idempotency_key: str
    kind: str
    member_id: int | None
    card_id: int | None
    payload: dict[str, Any]


class MemberLike(Protocol):
    """What composing needs of a member (an ORM Member or a Core result row)."""

    id: int
    name: str
    id_number: str | None
    mobile: str | None


def compose(row: OutboxMessage) -> Outgoing:
    """Build the message for an outbox row from the member and card as they are now."""
    if row.kind == OTP:
        return _compose_otp(row)
    if row.kind == NOTICE:
        member = db.session.get(Member, row.member_id) if member_notice(row) else None
        return build(row, member, None)
    return build(row, db.session.get(Member, row.member_id) if row.member_id else None,
                 db.session.get(Card, row.card_id) if row.card_id else None)


def compose_many(rows: Sequence[RowLike]) -> dict[int, Outgoing | LookupError | ValueError]:
    """Build the messages of a claimed batch: members and cards in one query each.

    A row whose member or card is missing maps to the error instead of a message.
    """
    member_ids = {r.member_id for r in rows if (r.kind != NOTICE or member_notice(r))
                  and r.member_id is not None}
    card_ids = {r.card_id for r in rows if r.kind != NOTICE and r.card_id is not None}
    members: dict[int, MemberLike] = {}
    if member_ids:
        members = {m.id: m for m in db.session.execute(
            select(Member.id, Member.name, Member.id_number, Member.mobile)
            .where(Member.id.in_(member_ids)))}
    cards: dict[int, Any] = {}
    if card_ids:  # plain rows of the columns build() reads: ORM objects (and decrypting
        # each card's snapshot) would cost more than the send
        cards = {c.id: c for c in db.session.execute(
            select(Card.id, Card.link_slug, Card.short_code).where(Card.id.in_(card_ids)))}
    out: dict[int, Outgoing | LookupError | ValueError] = {}
    for row in rows:
        try:
            if row.kind == OTP:
                out[row.id] = _compose_otp(row)
                continue
            out[row.id] = build(row, members.get(row.member_id or 0),
                                cards.get(row.card_id or 0))
        except (LookupError, ValueError) as exc:
            out[row.id] = exc
    return out


def build(row: RowLike, member: MemberLike | None, card: Any) -> Outgoing:
    """Build one message from its row, member and card."""
    if row.kind == NOTICE and member_notice(row):
        return _member_notice(row, member)
    if row.kind == NOTICE:
        text = str(row.payload.get("text", ""))
        return Outgoing(row.id, row.idempotency_key, row.kind, row.member_id,
                        name=str(row.payload.get("to", "管理员")), text=text,
                        params={"text": text}, phone=None)
    if member is None or card is None:
        raise LookupError(f"outbox {row.id}: member or card missing")
    link = card_link(card)
    masked_id = mask_id(member.id_number) if member.id_number else "未登记"
    masked_phone = mask_phone(member.mobile) if member.mobile else "未登记"
    params = {"name": member.name, "id": masked_id, "phone": masked_phone,
              "code": card.short_code, "link": link}
    if row.kind == REMINDER:
        text = reminder_text(member.name, card.short_code, link)
    elif row.kind == CARD:
        text = card_text(member.name, masked_id, masked_phone, card.short_code, link)
    else:
        raise ValueError(f"unknown outbox kind {row.kind!r}")
    return Outgoing(row.id, row.idempotency_key, row.kind, member.id, name=member.name,
                    text=text, params=params, link=link, phone=member.mobile)


def member_notice(row: RowLike) -> bool:
    """Return whether a notice row is addressed to the member (e.g. the dispute link after an
    SMS "2"), not to an admin."""
    return row.kind == NOTICE and row.member_id is not None and (
        (row.payload or {}).get("audience") == "member")


def link_token(link: str) -> str:
    """Return the part of a member link after "/s/" ("<slug>/dispute"): SMS templates hold the
    fixed address and take only this tail (Aliyun refuses URLs in variables)."""
    path = urlsplit(link).path
    return path.split("/s/", 1)[1] if "/s/" in path else path.rsplit("/", 1)[-1]


def _member_notice(row: RowLike, member: MemberLike | None) -> Outgoing:
    if member is None:
        raise LookupError(f"outbox {row.id}: member missing")
    text = str(row.payload.get("text", ""))
    link = str(row.payload.get("link") or "") or None
    # "audience" tells the SMS channels this notice may go to the member's phone.
    params = {"audience": "member", "name": member.name, "text": text,
              "link": link or "", "token": link_token(link) if link else ""}
    return Outgoing(row.id, row.idempotency_key, row.kind, member.id, name=member.name,
                    text=text, params=params, link=link, phone=member.mobile)


def otp_payload(code_id: int, code: str, minutes: int) -> dict[str, Any]:
    """Return the payload of a one-time code's outbox row: the code sealed, because the text is
    composed at send time and the outbox is not a place for secrets in clear."""
    return {"code_id": code_id, "code": cipher().encrypt(code, CODE_PURPOSE), "minutes": minutes}


def code_for_message(payload: dict[str, Any]) -> str | None:
    """Return the code an OTP payload carries, or None if it can no longer be used (expired,
    replaced by a newer code, or killed by a lockout): such a code is not worth an SMS."""
    row = db.session.get(OtpCode, int(str(payload.get("code_id"))))
    if row is None or row.used_at is not None or row.expires_at <= now_utc():
        return None
    return cipher().decrypt(str(payload["code"]), CODE_PURPOSE)


def _compose_otp(row: RowLike) -> Outgoing:
    member = db.session.get(Member, row.member_id)
    if member is None:
        raise LookupError(f"outbox {row.id}: member missing")
    code = code_for_message(row.payload)
    if code is None:
        raise LookupError("验证码已过期或已作废，不再发送")
    minutes = int(row.payload.get("minutes", 10))
    return Outgoing(row.id, row.idempotency_key, row.kind, member.id, name=member.name,
                    text=otp_text(code, minutes), params={"code": code, "minutes": str(minutes)},
                    phone=member.mobile)
