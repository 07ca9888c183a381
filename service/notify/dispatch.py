"""The dispatcher: claim due outbox rows, send each outside any transaction, record the outcome.

Delivery is at-least-once, and the window is exactly this: a worker that dies after the
provider accepted a message but before its ``mark_sent`` commit leaves the row ``sending``;
when the lease runs out another worker sends it again. Every send carries the outbox id as
the provider's correlation id (Aliyun OutId, Tencent SessionContext), so such a duplicate is
visible in the provider's records and receipts; neither SMS provider de-duplicates on it, so
the member may get the same card twice (same text, same link, same code: harmless). Only rows
in flight at the crash can be sent twice, and the "sent" evidence entry is written once per
row whatever happens (the guarded UPDATE in ``outbox.mark_sent`` and its idempotency key).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from functools import partial

from service.campaign.transaction import run_unit
from service.extensions import db
from service.models import OutboxMessage
from service.models.outbox import CARD, NOTICE, OTP, REMINDER, SENDING
from service.notify import outbox, router
from service.notify.channel import (
    Channel,
    Deferred,
    NotReachable,
    Outgoing,
    PermanentFailure,
    SendError,
    SendResult,
    TokenExpired,
)
from service.notify.messages import compose

log = logging.getLogger(__name__)
TOKEN_RETRY_SECONDS = 60.0


def drain(
    worker_id: str, *, batch: int = 20, once: bool = False, idle_sleep: float = 1.0,
    should_stop: Callable[[], bool] = lambda: False,
) -> Counter[str]:
    """Send due messages until none are left (``once``) or ``should_stop`` says so.

    Each claimed batch is sent message by message, then its outcomes are recorded in one
    transaction (one commit per batch, not per message). A crash before that commit leaves
    the whole batch leased to the dead worker: those rows are the ones that may go out twice.
    Return how many rows ended in each outcome.
    """
    outcomes: Counter[str] = Counter()
    while not should_stop():
        ids = run_unit(lambda: outbox.claim(batch, worker_id))
        if not ids:
            if once:
                break
            time.sleep(idle_sleep)
            continue
        records: list[Record] = []
        for row_id in ids:
            records.append(process(row_id))
            if should_stop():
                break  # the rest of the batch goes back when the lease runs out
        outcomes.update(run_unit(partial(_record_all, records)))
    return outcomes


Record = Callable[[], str]  # writes one row's outcome in the caller's transaction


def _record_all(records: list[Record]) -> list[str]:
    return [record() for record in records]


def process(row_id: int) -> Record:
    """Send one claimed row; return the step that records what happened."""
    row = db.session.get(OutboxMessage, row_id, populate_existing=True)
    if row is None or row.state != SENDING or not row.claimed_by:
        db.session.rollback()
        return lambda: "skipped"
    token, channel_name, member_id = row.claimed_by, row.channel, row.member_id
    try:
        msg = compose(row)
        channel = router.channel(channel_name)
    except LookupError as exc:
        db.session.rollback()
        error = PermanentFailure(f"无法组成消息：{exc}")
        return partial(outbox.mark_dead, row_id, token, error)
    db.session.rollback()  # hold no transaction (or lock) while the provider answers
    try:
        result = send(channel, msg)
    except NotReachable as exc:
        return partial(_fall_back, row_id, token, exc, member_id, channel_name)
    except Deferred as exc:
        return partial(outbox.mark_retry, row_id, token, exc, retry_after=exc.retry_after,
                       count_attempt=False)
    except TokenExpired as exc:  # the channel already refreshed once and retried once
        return partial(outbox.mark_retry, row_id, token, exc, retry_after=TOKEN_RETRY_SECONDS)
    except PermanentFailure as exc:
        return partial(outbox.mark_dead, row_id, token, exc)
    except SendError as exc:
        return partial(outbox.mark_retry, row_id, token, exc)
    except OSError as exc:  # a channel that let a network error through: transient
        log.warning("outbox %s: %s", row_id, type(exc).__name__)
        error = SendError(f"网络错误：{type(exc).__name__}")
        return partial(outbox.mark_retry, row_id, token, error)
    return lambda: "sent" if outbox.mark_sent(row_id, result) else "skipped"


def _fall_back(row_id: int, token: str, exc: NotReachable, member_id: int | None,
               channel_name: str) -> str:
    nxt = router.next_channel(member_id, channel_name)
    if nxt is None:
        return outbox.mark_dead(row_id, token, exc)
    outbox.fall_back(row_id, token, exc, nxt)
    return "fell_back"


def send(channel: Channel, msg: Outgoing) -> SendResult:
    """Call the channel method for the message's kind."""
    if msg.kind == CARD:
        return channel.send_card(msg)
    if msg.kind == REMINDER:
        return channel.send_reminder(msg)
    if msg.kind == NOTICE:
        return channel.send_notice(msg)
    if msg.kind == OTP:  # one-time codes go out on SMS (or the demo console) only
        send_otp = getattr(channel, "send_otp", None)
        if send_otp is None:
            raise NotReachable("该渠道不发送短信验证码", code="unsupported")
        return send_otp(msg)
    raise PermanentFailure(f"未知的消息类型“{msg.kind}”")
