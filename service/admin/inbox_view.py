"""What a queued inbox row says, for a person: the source in Chinese, who sent it (masked),
and only the words the member wrote, read from the encrypted raw push of each source.

SMS rows hold one provider item as JSON (``service.bot.sms.push``): Aliyun
``{phone_number, content, ...}``, Tencent ``{mobile, nationcode, text, ...}``. WeChat rows hold
the plaintext callback XML (``service.bot.wechat.wire``): ``Content`` of a text message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from service.models import InboxMessage
from service.models.inbox import SMS_ALIYUN, SMS_TENCENT, WECHAT_MP, WECHAT_OA
from service.records.phones import mask_phone, normalize_mobile

SOURCE_LABELS = {SMS_ALIYUN: "短信回复（阿里云）", SMS_TENCENT: "短信回复（腾讯云）",
                 WECHAT_OA: "微信公众号留言", WECHAT_MP: "微信小程序"}
SMS_SOURCES = frozenset({SMS_ALIYUN, SMS_TENCENT})
UNREADABLE = "（无法读取的内容）"


@dataclass(frozen=True)
class Reply:
    """One queued push as the admin sees it. ``phone`` is the full number, for matching only:
    pages show ``sender``."""

    source: str
    text: str
    sender: str
    phone: str | None = None


def read(row: InboxMessage) -> Reply:
    """Return what the member wrote and who sent it (masked)."""
    label = SOURCE_LABELS.get(row.source, row.source)
    if row.source in SMS_SOURCES:
        return _sms(row, label)
    if row.source in (WECHAT_OA, WECHAT_MP):
        return _wechat(row, label)
    return Reply(label, UNREADABLE, "未知")


def _sms(row: InboxMessage, label: str) -> Reply:
    try:
        item: Any = json.loads(row.raw)
    except ValueError:
        item = None
    if not isinstance(item, dict):
        return Reply(label, UNREADABLE, "无法识别")
    if row.source == SMS_ALIYUN:
        number, text = str(item.get("phone_number") or ""), item.get("content")
    else:
        nation = str(item.get("nationcode") or "86").strip().lstrip("+")
        number, text = str(item.get("mobile") or ""), item.get("text")
        if nation != "86":
            return Reply(label, _text(text), f"境外号码（+{nation}）" if nation.isdigit()
                         else "境外号码")
    phone = normalize_mobile(number)
    sender = mask_phone(phone) if phone else (mask_phone(number) if number else "无法识别")
    return Reply(label, _text(text), sender, phone)


def _wechat(row: InboxMessage, label: str) -> Reply:
    from service.bot.wechat.wire import Refused, to_push  # the callback's own safe reading

    try:
        push = to_push(row.raw)
    except Refused:
        return Reply(label, UNREADABLE, "微信用户")
    openid = push.openid
    sender = f"微信用户（…{openid[-4:]}）" if len(openid) > 4 else "微信用户"
    if push.msg_type == "text":
        return Reply(label, _text(push.text), sender)
    if push.msg_type == "event":
        return Reply(label, f"（菜单或事件：{push.event_key or push.event or ''}）", sender)
    return Reply(label, f"（非文字消息：{push.msg_type}）", sender)


def _text(value: Any) -> str:
    return str(value) if value not in (None, "") else "（空白）"
