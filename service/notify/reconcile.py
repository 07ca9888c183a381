"""Asking a provider whether it already has a message, before sending that message again.

A row comes back to a worker with ``started_at`` set when an earlier call may have reached
the provider: the worker died during the call, before its answer was committed (the lease ran
out), or the answer was lost (timeout, network error). A row whose answer was committed
(``service.notify.send_progress``) needs no lookup: it is recorded as sent. Where the
provider keeps a record that can be found by our correlation id (the outbox id), the
dispatcher looks first and records the row as sent instead of sending a duplicate.

The hook: a channel may offer ``lookup(msg: Outgoing, since: datetime) -> SendResult | None``
(``since`` is the earliest UTC moment a try can have been made: the row's creation). Return
the provider's record of an accepted message, None when it has none (send again), or raise a
SendError/OSError when it cannot tell (the dispatcher then sends: a duplicate beats a loss).

- Aliyun: QuerySendDetails (by phone and send date, matched on OutId) — ``aliyun_lookup``
  below, attached to the Aliyun channel here until aliyun.py grows the method itself.
- Console: ``console_lookup`` — nothing outside the database ever holds a console message,
  and the console page shows only rows marked sent, so a row never recorded was never shown.
- Tencent: none. PullSmsSendStatus hands out each receipt once (pulling here would steal it
  from the receipt handler) and has no query by SessionContext; the status push the provider
  repeats until acknowledged settles a row once its send is recorded.
- WeChat template/subscribe messages: no query API. TEMPLATESENDJOBFINISH carries only the
  MsgID, which the kept answer stores on the row as soon as the call returns, so the event
  matches the row even when its worker died before recording the batch.
- Where no lookup answers, only the rows whose call was under way at a crash go again: at
  most ``NOTIFY_SEND_CONCURRENCY`` per worker killed; a duplicate card is harmless (same
  text, same signed link).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from urllib.parse import urlencode

from service.clock import to_local, today_local
from service.notify import transport
from service.notify.aliyun import AliyunSms, sign
from service.notify.channel import Channel, Outgoing, SendError, SendResult
from service.notify.console import ConsoleChannel

Lookup = Callable[[Outgoing, datetime], SendResult | None]
QUERY_DAYS = 30  # Aliyun keeps send details for the last 30 days
PAGE_SIZE = 50  # Aliyun's maximum page
ACCEPTED = {"1", "3"}  # SendStatus 1 waiting for the receipt, 3 delivered (2 is failed)


def lookup_for(channel: Channel) -> Lookup | None:
    """Return how to find an earlier send of a message on ``channel``, or None if we cannot."""
    own = getattr(channel, "lookup", None)
    if callable(own):
        return own  # type: ignore[no-any-return]
    if isinstance(channel, AliyunSms):
        return partial(aliyun_lookup, channel)
    if isinstance(channel, ConsoleChannel):
        return console_lookup
    return None


def console_lookup(msg: Outgoing, since: datetime) -> SendResult | None:
    """The console keeps no record of its own: an unrecorded row was never shown."""
    return None


def aliyun_lookup(sms: AliyunSms, msg: Outgoing, since: datetime) -> SendResult | None:
    """Find ``msg`` in Aliyun's send details of its phone (OutId = outbox id), newest day first."""
    if not msg.phone:
        return None
    today = today_local()
    first = max(to_local(since).date(), today - timedelta(days=QUERY_DAYS - 1))
    day = today
    while day >= first:
        for detail in _aliyun_details(sms, msg.phone, day.strftime("%Y%m%d")):
            if str(detail.get("OutId")) == str(msg.outbox_id) \
                    and str(detail.get("SendStatus")) in ACCEPTED:
                return SendResult(None, {"lookup": "QuerySendDetails",
                                         "SendStatus": detail.get("SendStatus"),
                                         "ErrCode": detail.get("ErrCode")})
        day -= timedelta(days=1)
    return None


def _aliyun_details(sms: AliyunSms, phone: str, send_date: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    page = 1
    while True:
        params = {
            "AccessKeyId": sms.access_key_id, "Action": "QuerySendDetails",
            "Format": "JSON", "RegionId": "cn-hangzhou", "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25", "PhoneNumber": phone, "SendDate": send_date,
            "PageSize": str(PAGE_SIZE), "CurrentPage": str(page),
        }
        params["Signature"] = sign(params, sms.access_key_secret)
        status, body = transport.post(
            sms.endpoint, urlencode(params).encode(),
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, sms.timeout)
        try:
            data = json.loads(body)
        except ValueError:
            data = {}
        if status != 200 or data.get("Code") != "OK":
            raise SendError(f"查询短信发送记录失败：{data.get('Message') or status}",
                            code=str(data.get("Code") or f"http_{status}"))
        details = (data.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        found.extend(details)
        if len(details) < PAGE_SIZE or page * PAGE_SIZE >= int(data.get("TotalCount") or 0):
            return found
        page += 1
