"""Mini-program channel: cards and reminders as subscribe messages opening the card page.

The openid comes from the recipient's active ``wechat_mp`` binding. Each message needs a
one-time grant (``wx.requestSubscribeMessage``): one is reserved per outbox message as in
``wechat_common``; when our count shows none the send is still tried, because WeChat is the
authority on grants (a grant event we missed) and answers 43101 when there is none, which
is ``NotReachable``: the router falls back to the next channel. ``page`` is the card page
of the mini-program with the card's signed token. Notices to admins are not sent here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from service.notify import ratelimit, wechat_common
from service.notify.channel import NotReachable, Outgoing, PermanentFailure, SendResult
from service.notify.wechat_client import WeChatClient, mp_client
from service.notify.wechat_common import fields

NAME = "wechat_mp"
SUBSCRIBE_SEND = "cgi-bin/message/subscribe/send"
DEFAULT_PAGE = "pages/card/index"
HINTS = {"card": "请核对您的党员信息", "reminder": "党员信息尚未确认，请尽快核对"}


def member_data(msg: Outgoing, kind: str) -> dict[str, dict[str, str]]:
    """Return the fields: thing1 姓名, character_string2 确认码, thing3 提示."""
    return fields({"thing1": msg.name, "character_string2": msg.params.get("code"),
                   "thing3": HINTS[kind]})


@dataclass
class WeChatMP:
    """Send through the mini-program; ``templates`` maps kind → subscribe template id."""

    client: WeChatClient
    templates: dict[str, str]
    page: str = DEFAULT_PAGE
    state: str = "formal"  # miniprogram_state: developer / trial / formal
    name: str = NAME

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WeChatMP:
        """Build from WECHAT_MP_* settings (needs app context for the client)."""
        pick = {"card": "WECHAT_MP_TEMPLATE_CARD", "reminder": "WECHAT_MP_TEMPLATE_REMINDER"}
        return cls(client=mp_client(),
                   templates={k: str(config[v]) for k, v in pick.items() if config.get(v)},
                   page=str(config.get("WECHAT_MP_CARD_PAGE") or DEFAULT_PAGE).lstrip("/"),
                   state=str(config.get("WECHAT_MP_STATE") or "formal"))

    def send_card(self, msg: Outgoing) -> SendResult:
        return self._send(msg, "card")

    def send_reminder(self, msg: Outgoing) -> SendResult:
        return self._send(msg, "reminder")

    def send_notice(self, msg: Outgoing) -> SendResult:
        raise NotReachable("小程序不发送管理员通知", code="unsupported")

    def _send(self, msg: Outgoing, kind: str) -> SendResult:
        template = self.templates.get(kind)
        if not template:
            raise NotReachable("小程序未配置订阅消息模板", code="no_template")
        to = wechat_common.binding(msg.member_id, NAME)
        wechat_common.reserve(msg.outbox_id, to.id)
        body = {"touser": to.openid, "template_id": template,
                "page": f"{self.page}?token={quote(wechat_common.card_token(msg), safe='')}",
                "data": member_data(msg, kind), "miniprogram_state": self.state,
                "lang": "zh_CN"}
        ratelimit.acquire(self.name)
        try:
            answer = self.client.post(SUBSCRIBE_SEND, body)
        except PermanentFailure:
            wechat_common.release(msg.outbox_id)  # refused as a request: nothing spent
            raise
        msgid = answer.get("msgid")
        return SendResult(None if msgid is None else str(msgid), {"via": "subscribe"})
