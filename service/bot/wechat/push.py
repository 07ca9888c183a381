"""One WeChat push (message or event) as plain data, and the key its retries share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WeChatPush:
    """The fields of a callback we act on, read from the raw XML (not wechatpy's classes,
    which rewrite ``Event``/``EventKey`` and do not model subscription-message events)."""

    openid: str
    account: str  # ToUserName: the official account's original id
    msg_type: str  # text, image, event, ...
    create_time: str
    raw: str
    event: str | None = None  # lower case: subscribe, scan, unsubscribe, templatesendjobfinish
    event_key: str | None = None
    text: str | None = None
    msg_id: str | None = None  # MsgId of a message, MsgID of TEMPLATESENDJOBFINISH
    status: str | None = None  # TEMPLATESENDJOBFINISH Status
    popup: tuple[tuple[str, str], ...] = ()  # subscribe_msg_popup_event: (TemplateId, status)

    @classmethod
    def from_fields(cls, data: dict[str, Any], *, raw: str) -> WeChatPush:
        """Build from the ``<xml>`` children; refuse (ValueError) without sender/type/time."""
        openid, msg_type, ctime = (_text(data.get(k)) for k in
                                   ("FromUserName", "MsgType", "CreateTime"))
        if not openid or not msg_type or not ctime or len(openid) > 64:
            raise ValueError("FromUserName, MsgType and CreateTime are required")
        event = _text(data.get("Event"))
        return cls(
            openid=openid, account=_text(data.get("ToUserName")) or "", create_time=ctime,
            msg_type=msg_type.lower(), raw=raw, event=event.lower() if event else None,
            event_key=_text(data.get("EventKey")), text=_text(data.get("Content")),
            msg_id=_text(data.get("MsgId")) or _text(data.get("MsgID")),
            status=_text(data.get("Status")), popup=_popup(data),
        )

    @property
    def dedupe_key(self) -> str:
        """WeChat's own rule: messages by MsgId, events by sender + CreateTime (+ event)."""
        if self.msg_type != "event" and self.msg_id:
            return f"msg:{self.msg_id}"
        key = f"evt:{self.openid}:{self.create_time}:{self.event or self.msg_type}"
        # Two template receipts for one follower can share a second; their MsgIDs differ.
        return f"{key}:{self.msg_id}" if self.msg_id else key

    @property
    def kind(self) -> str:
        return f"event:{self.event}" if self.msg_type == "event" else self.msg_type

    @property
    def scene(self) -> str:
        """Return the parametric QR scene of a subscribe/SCAN event ("" when none)."""
        key = self.event_key or ""
        return key.removeprefix("qrscene_") if self.event in ("subscribe", "scan") else ""


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return None
    return str(value).strip()


def _popup(data: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    block = data.get("SubscribeMsgPopupEvent")
    if not isinstance(block, dict):
        return ()
    items = block.get("List")
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        return ()
    return tuple((_text(i.get("TemplateId")) or "", _text(i.get("SubscribeStatusString")) or "")
                 for i in items if isinstance(i, dict))
