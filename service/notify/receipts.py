"""Delivery receipts: find the outbox row a provider's receipt is about and record the outcome.

Correlation: Aliyun echoes our OutId and Tencent our SessionContext (both the outbox id);
Tencent's status push otherwise carries only ``sid`` (= SerialNo) and WeChat's
TEMPLATESENDJOBFINISH only ``MsgID``, both stored as ``provider_msg_id`` when the row was sent.

Receipts come without a worker's claim token, so every change here is a guarded UPDATE
from ``sent``: only one receipt (or re-push) moves a row, the others find it moved and do
nothing. A receipt for a row still ``pending``/``sending`` whose provider answer is not kept
yet (``service.notify.send_progress``) raises NotYetSent: the caller leaves it
unacknowledged and the provider pushes it again later. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from service.clock import now_utc
from service.extensions import db
from service.models import OutboxMessage
from service.models.outbox import CARD, DEAD, DELIVERED, FAILED, PENDING, REMINDER, SENDING, SENT
from service.notify import outbox, router

DELIVERED_NOW = "delivered"
FELL_BACK = "fell_back"
FAILED_NOW = "failed"
REPEATED = "repeated"
UNMATCHED = "unmatched"
LATE = "late"


class NotYetSent(Exception):
    """The receipt is about a message whose send is not recorded yet; ask for it again later."""


@dataclass(frozen=True)
class Receipt:
    """One provider receipt: which channel, the correlation id(s), and the outcome."""

    channel: str
    delivered: bool
    outbox_id: int | None = None
    provider_msg_id: str | None = None
    error: str | None = None  # the provider's code and text, for the admin


def find_row(receipt: Receipt) -> OutboxMessage | None:
    """Return the outbox row the receipt is about, on the receipt's channel, or None."""
    if receipt.outbox_id is not None:
        row = db.session.get(OutboxMessage, receipt.outbox_id, populate_existing=True)
        return row if row is not None and row.channel == receipt.channel else None
    if not receipt.provider_msg_id:
        return None
    return db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.channel == receipt.channel,
                                    OutboxMessage.provider_msg_id == receipt.provider_msg_id)
        .order_by(OutboxMessage.id.desc()).limit(1)
        .execution_options(populate_existing=True))


def apply(receipt: Receipt, *, payload: bytes | None = None) -> tuple[str, OutboxMessage | None]:
    """Record the receipt on its outbox row; return what happened and the row.

    :raises NotYetSent: the row exists but its send is not recorded yet.
    """
    row = find_row(receipt)
    if row is None:
        return UNMATCHED, None
    if row.state == PENDING or (row.state == SENDING and row.sent_at is None):
        raise NotYetSent(f"outbox {row.id} is {row.state}")
    # A ``sending`` row with ``sent_at``: the provider took it and its worker has not recorded
    # that yet (or died first). The receipt settles it, so nothing sends it again.
    if receipt.delivered:
        if outbox.mark_delivered(row.id, payload=payload):
            return DELIVERED_NOW, row
        return (REPEATED if row.state == DELIVERED else LATE), row
    return _failed(row, receipt.error or "送达失败"), row


def _failed(row: OutboxMessage, error: str) -> str:
    text = f"送达失败：{error}"[:255]
    nxt = None
    if row.kind in (CARD, REMINDER):
        nxt = router.next_channel(row.member_id, row.channel)
    if not _move_from_sent(row.id, FAILED if nxt else DEAD, text):
        return REPEATED  # a re-push, or another receipt already moved the row
    if nxt is None:
        return FAILED_NOW
    base = row.idempotency_key.split(":fb:")[0]
    # Same key scheme as outbox.fall_back, so a fallback made either way is made once.
    outbox.enqueue(row.kind, channel=nxt, key=f"{base}:fb:{nxt}", member_id=row.member_id,
                   card_id=row.card_id, campaign_member_id=row.campaign_member_id,
                   payload=dict(row.payload or {}))
    return FELL_BACK


def _move_from_sent(row_id: int, state: str, error: str) -> bool:
    now = now_utc()
    moved = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id, OutboxMessage.state == SENT)
        .values(state=state, last_error=error, updated_at=now)
        .execution_options(synchronize_session=False))
    return moved.rowcount == 1
