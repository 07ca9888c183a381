"""What both WeChat channels share: the member's binding, template fields, one-time grants.

Template and subscription field values are at most 20 characters with no line breaks
(WeChat's rule since 2023-05), so the full card lives on the member's card page and the
message carries only the name, the masked ID and phone, the short code and a hint.

One-time subscription grants (``ChannelBinding.subscribe_grants``) are spent per outbox
message, not per HTTP call: ``reserve`` takes one grant from the binding and records the
outbox id in ``subscribe_grant_uses`` in one transaction, before the send. A retry of the
same message (after a timeout, a quota deferral, or a worker killed mid-send) finds that
reservation and reuses it, so one message never spends two grants, and a grant taken for
a message that did not go out yet is still there for its retry. ``release`` gives it back
only when WeChat refused the request itself (bad template or data), which consumes nothing;
a 43101 (WeChat says there is no grant) leaves it spent.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from service.clock import now_utc
from service.extensions import db
from service.models.channel import ChannelBinding
from service.models.wechat_token import SubscribeGrantUse
from service.notify.channel import NotReachable, Outgoing
from service.records.idcard import mask_id
from service.records.phones import mask_phone

FIELD_LIMIT = 20
UNREGISTERED = "未登记"


@dataclass(frozen=True)
class Binding:
    """The member's active binding on one channel, as read at send time."""

    id: int
    openid: str
    following: bool
    grants: int


def binding(member_id: int | None, channel: str) -> Binding:
    """Return the member's active binding on ``channel``, or raise NotReachable."""
    row = None
    if member_id is not None:
        with db.engine.connect() as conn:
            row = conn.execute(
                select(ChannelBinding.id, ChannelBinding.openid, ChannelBinding.following,
                       ChannelBinding.subscribe_grants)
                .where(ChannelBinding.member_id == member_id, ChannelBinding.channel == channel,
                       ChannelBinding.revoked_at.is_(None))
                .order_by(ChannelBinding.id.desc()).limit(1)).first()
    if row is None:
        raise NotReachable("收件人未绑定微信", code="no_binding")
    return Binding(row.id, row.openid, bool(row.following), int(row.subscribe_grants))


def field(value: str | None) -> str:
    """Return ``value`` as a WeChat field: one line, at most 20 characters, never empty."""
    text = " ".join(str(value or "").split())
    if len(text) > FIELD_LIMIT:
        text = text[:FIELD_LIMIT - 1] + "…"
    return text or "-"


def fields(values: dict[str, str | None]) -> dict[str, dict[str, str]]:
    """Return a template ``data`` object from key → value."""
    return {key: {"value": field(value)} for key, value in values.items()}


def masked_id(msg: Outgoing) -> str:
    """Return the masked ID number (masked again if a caller ever passed a full one)."""
    value = msg.params.get("id") or UNREGISTERED
    return value if "*" in value or value == UNREGISTERED else mask_id(value)


def masked_phone(msg: Outgoing) -> str:
    """Return the masked mobile number (masked again if a caller ever passed a full one)."""
    value = msg.params.get("phone") or UNREGISTERED
    return value if "*" in value or value == UNREGISTERED else mask_phone(value)


def card_token(msg: Outgoing) -> str:
    """Return the last part of the member's card link (the short link's slug), for pages."""
    return (msg.link or "").rstrip("/").rsplit("/", 1)[-1]


def reserve(outbox_id: int, binding_id: int) -> bool:
    """Reserve one grant of ``binding_id`` for this message; return whether it has one."""
    with db.engine.connect() as conn:
        if conn.execute(select(SubscribeGrantUse.id)
                        .where(SubscribeGrantUse.outbox_id == outbox_id)).first():
            return True  # taken by an earlier try of this same message
    try:
        with db.engine.begin() as conn:
            taken = conn.execute(
                update(ChannelBinding)
                .where(ChannelBinding.id == binding_id, ChannelBinding.subscribe_grants > 0)
                .values(subscribe_grants=ChannelBinding.subscribe_grants - 1)).rowcount == 1
            if taken:
                conn.execute(insert(SubscribeGrantUse).values(
                    outbox_id=outbox_id, binding_id=binding_id, created_at=now_utc()))
            return taken
    except IntegrityError:  # a concurrent try of this message reserved first (ours rolled back)
        return True


def release(outbox_id: int) -> None:
    """Give the message's reserved grant back to its binding (WeChat did not consume it)."""
    with db.engine.begin() as conn:
        row = conn.execute(select(SubscribeGrantUse.binding_id)
                           .where(SubscribeGrantUse.outbox_id == outbox_id)).first()
        if row is None:
            return
        gone = conn.execute(delete(SubscribeGrantUse)
                            .where(SubscribeGrantUse.outbox_id == outbox_id)).rowcount
        if gone:
            conn.execute(update(ChannelBinding).where(ChannelBinding.id == row.binding_id)
                         .values(subscribe_grants=ChannelBinding.subscribe_grants + 1))
