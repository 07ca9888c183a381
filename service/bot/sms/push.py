"""Aliyun and Tencent SMS push bodies → items: one receipt or one member reply each, with its key.

Formats (as the providers document their pushes):
- Aliyun SmsReport: JSON array of {phone_number, send_time, report_time, success, err_code,
  err_msg, sms_size, biz_id, out_id}; out_id is our outbox id.
- Aliyun SmsUp: JSON array of {phone_number, content, send_time, dest_code, sequence_id}.
- Tencent status: JSON array of {user_receive_time, nationcode, mobile, report_status
  (SUCCESS|FAIL), errmsg, description, sid}, plus SessionContext (our outbox id) if present.
- Tencent reply: one JSON object {extend, mobile, nationcode, sign, text, time} (an array of
  them is accepted too).
Dedupe keys never hold a phone number in clear: they use its blind index.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from service.crypto import blind_index
from service.notify.receipts import Receipt
from service.records.phones import normalize_mobile

MAX_ITEM_BYTES = 16 * 1024


class BadPush(ValueError):
    """The body is not the provider's format at all (answered 400; nothing recorded)."""


@dataclass(frozen=True)
class ReceiptItem:
    dedupe_key: str
    raw: str
    receipt: Receipt | None  # None: an item we cannot read (kept, noted, not acted on)


@dataclass(frozen=True)
class ReplyItem:
    dedupe_key: str
    raw: str
    phone: str | None  # normalized 11-digit mobile, or None when unreadable
    text: str
    provider_id: str | None


MAX_DEPTH = 16  # the providers' bodies are two levels deep
MAX_ID = 2**63 - 1  # past this an id cannot be a row of ours (BIGINT)


def load(body: bytes) -> Any:
    """Return the JSON body, or refuse it (not JSON, or nested deeper than any provider's)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadPush("not JSON") from exc
    if _depth(data) > MAX_DEPTH:
        raise BadPush("nested too deep")
    return data


def _depth(data: Any) -> int:
    deepest, todo = 0, [(data, 1)]
    while todo:  # iterative: a deep body must not exhaust the stack here either
        value, level = todo.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        children = value.values() if isinstance(value, dict) else \
            value if isinstance(value, list) else ()
        todo.extend((child, level + 1) for child in children)
    return deepest


def row_id(text: str) -> int | None:
    """Return our row id echoed back by a provider (OutId, SessionContext), or None."""
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def items_of(data: Any, *, single_ok: bool = False) -> list[Any]:
    """Return the pushed items: the array, or (where the provider sends one) the object."""
    if isinstance(data, list):
        items = data
    elif single_ok and isinstance(data, dict):
        items = [data]
    else:
        raise BadPush("not an array")
    # A receipt or a member's reply is a few hundred bytes. Each item is kept encrypted in the
    # inbox (a TEXT column, 64 KiB on MySQL): a giant one is no provider's and is refused.
    if any(len(_raw(item).encode()) > MAX_ITEM_BYTES for item in items):
        raise BadPush("item too large")
    return items


def phone_index(phone: str | None) -> str | None:
    """Return the blind index the members table uses for this mobile, or None."""
    return blind_index(phone, "mobile") if phone else None


def aliyun_receipts(data: Any) -> list[ReceiptItem]:
    """Read an Aliyun SmsReport push."""
    out = []
    for item in items_of(data):
        raw = _raw(item)
        try:
            out_id = str(item["out_id"]).strip()
            receipt = Receipt(
                "sms_aliyun", delivered=_truthy(item["success"]),
                outbox_id=row_id(out_id),
                provider_msg_id=str(item.get("biz_id") or "")[:128] or None,
                error=_error(item.get("err_code"), item.get("err_msg")))
            key = f"rcpt:{out_id}:{item.get('biz_id')}:{item['success']}:{item.get('err_code')}"
        except (KeyError, TypeError, AttributeError):
            out.append(ReceiptItem(_bad_key(raw), raw, None))
            continue
        out.append(ReceiptItem(key, raw, receipt))
    return out


def tencent_receipts(data: Any) -> list[ReceiptItem]:
    """Read a Tencent status push."""
    out = []
    for item in items_of(data):
        raw = _raw(item)
        try:
            sid = str(item["sid"])
            status = str(item["report_status"]).upper()
            context = str(item.get("SessionContext") or item.get("session_context") or "").strip()
            receipt = Receipt(
                "sms_tencent", delivered=status == "SUCCESS",
                outbox_id=row_id(context), provider_msg_id=sid[:128],
                error=_error(item.get("errmsg"), item.get("description")))
            key = f"rcpt:{sid}:{status}:{item.get('errmsg')}"
        except (KeyError, TypeError, AttributeError):
            out.append(ReceiptItem(_bad_key(raw), raw, None))
            continue
        out.append(ReceiptItem(key, raw, receipt))
    return out


def aliyun_replies(data: Any) -> list[ReplyItem]:
    """Read an Aliyun SmsUp push."""
    out = []
    for item in items_of(data):
        raw = _raw(item)
        if not isinstance(item, dict) or "content" not in item:
            out.append(ReplyItem(_bad_key(raw), raw, None, "", None))
            continue
        phone = normalize_mobile(str(item.get("phone_number") or ""))
        seq = str(item.get("sequence_id") or "").strip()
        key = f"up:{seq}" if seq else _reply_key(phone, item.get("send_time"), item["content"])
        out.append(ReplyItem(key, raw, phone, str(item["content"]), seq or None))
    return out


def tencent_replies(data: Any) -> list[ReplyItem]:
    """Read a Tencent reply push."""
    out = []
    for item in items_of(data, single_ok=True):
        raw = _raw(item)
        if not isinstance(item, dict) or "text" not in item:
            out.append(ReplyItem(_bad_key(raw), raw, None, "", None))
            continue
        nation = str(item.get("nationcode") or "86").strip().lstrip("+")
        mobile = str(item.get("mobile") or "")
        phone = normalize_mobile(mobile) if nation == "86" else None
        key = _reply_key(phone or mobile, item.get("time"), item["text"])
        out.append(ReplyItem(key, raw, phone, str(item["text"]), None))
    return out


def _reply_key(phone: str | None, when: Any, text: Any) -> str:
    who = (phone_index(phone) or "-")[:32]
    digest = hashlib.sha256(str(text).encode()).hexdigest()[:16]
    return f"up:{who}:{when}:{digest}"


def _raw(item: Any) -> str:
    return json.dumps(item, ensure_ascii=False, sort_keys=True)


def _bad_key(raw: str) -> str:
    return f"bad:{hashlib.sha256(raw.encode()).hexdigest()}"


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _error(code: Any, text: Any) -> str | None:
    parts = [str(p) for p in (code, text) if p not in (None, "")]
    return " ".join(parts)[:200] or None
