"""SMS provider pushes under /sms/<provider>/: delivery receipts and member replies.

Aliyun (HTTP batch push) and Tencent (callback) POST JSON here; each answer is the exact
acknowledgement the provider expects, or a non-acknowledgement so it pushes again later
(1, 5 and 10 minutes for Aliyun). Every item is recorded once in the inbox, in its own
transaction, so a re-pushed batch only acts on the items not recorded the first time.
Addresses: /sms/aliyun/receipt, /sms/aliyun/reply, /sms/tencent/receipt,
/sms/tencent/reply, each with ``?token=<SMS_PUSH_TOKEN>``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Blueprint, current_app, jsonify

from service.bot.sms import push
from service.inbound import inbox, sms_replies
from service.inbound.inbox import Outcome
from service.inbound.push_guard import read_body, require_token
from service.models.inbox import HANDLED, IGNORED, SMS_ALIYUN, SMS_TENCENT
from service.notify import receipts
from service.unit_of_work import run_unit

bp = Blueprint("sms_inbound", __name__, url_prefix="/sms")
log = logging.getLogger(__name__)

ACK = {SMS_ALIYUN: {"code": 0, "msg": "成功"}, SMS_TENCENT: {"result": 0, "errmsg": "OK"}}
RETRY = {SMS_ALIYUN: {"code": 1, "msg": "稍后重试"}, SMS_TENCENT: {"result": 1, "errmsg": "retry"}}
RECEIPT_NOTES = {
    receipts.DELIVERED_NOW: "已送达", receipts.REPEATED: "重复的回执，无需处理",
    receipts.LATE: "送达回执晚于改用其他渠道，仅留存",
    receipts.FAILED_NOW: "送达失败，已无其他可用渠道，请联系党员",
    receipts.FELL_BACK: "送达失败，已改用下一个渠道发送",
    receipts.UNMATCHED: "回执无法对应任何发送记录",
}


@bp.post("/aliyun/receipt")
def aliyun_receipt() -> Any:
    return _receipts(SMS_ALIYUN, push.aliyun_receipts)


@bp.post("/tencent/receipt")
def tencent_receipt() -> Any:
    return _receipts(SMS_TENCENT, push.tencent_receipts)


@bp.post("/aliyun/reply")
def aliyun_reply() -> Any:
    return _replies(SMS_ALIYUN, push.aliyun_replies)


@bp.post("/tencent/reply")
def tencent_reply() -> Any:
    return _replies(SMS_TENCENT, push.tencent_replies)


def _load(source: str, read: Callable[[Any], list[Any]]) -> list[Any] | Any:
    require_token("SMS_PUSH_TOKEN")
    body = read_body(int(current_app.config.get("SMS_PUSH_MAX_BYTES", 1 << 20)))
    try:
        return read(push.load(body))
    except push.BadPush:
        return jsonify({"code": 400, "message": "推送内容格式不正确"}), 400


def _receipts(source: str, read: Callable[[Any], list[push.ReceiptItem]]) -> Any:
    items = _load(source, read)
    if not isinstance(items, list):
        return items
    tally: Counter[str] = Counter()
    for item in items:
        try:
            _, outcome = run_unit(partial(
                inbox.record_once, source, item.dedupe_key, kind="receipt", raw=item.raw,
                sender_bidx=None, handle=partial(_receipt, item)))
        except receipts.NotYetSent:
            tally["later"] += 1  # not recorded: the provider's re-push brings it back
            continue
        tally["new" if outcome else "repeat"] += 1
    log.info("%s receipts: %s", source, dict(tally))
    return _answer(source, tally)


def _receipt(item: push.ReceiptItem) -> Outcome:
    if item.receipt is None:
        return Outcome(IGNORED, "无法读取的回执")
    result, row = receipts.apply(item.receipt, payload=item.raw.encode())
    status = IGNORED if result == receipts.UNMATCHED else HANDLED
    return Outcome(status, RECEIPT_NOTES[result], row.member_id if row else None)


def _replies(source: str, read: Callable[[Any], list[push.ReplyItem]]) -> Any:
    items = _load(source, read)
    if not isinstance(items, list):
        return items
    tally: Counter[str] = Counter()
    for item in items:
        handle = partial(sms_replies.handle, source, item.dedupe_key, phone=item.phone,
                         text=item.text, raw=item.raw, provider_id=item.provider_id,
                         reply_channel=source)
        _, outcome = run_unit(partial(
            inbox.record_once, source, item.dedupe_key, kind="reply", raw=item.raw,
            sender_bidx=push.phone_index(item.phone), handle=handle))
        tally[outcome.status if outcome else "repeat"] += 1
    log.info("%s replies: %s", source, dict(tally))
    return _answer(source, tally)


def _answer(source: str, tally: Counter[str]) -> Any:
    if tally["later"]:
        return jsonify(RETRY[source]), 503
    return jsonify(ACK[source])
