"""Official-account channel: cards and reminders as template messages or subscription notices.

Route per message (the openid comes from the recipient's active ``wechat_oa`` binding):
1. a subscription notice (``message/subscribe/bizsend``) when a subscribe template is
   configured for the kind and a one-time grant can be reserved for this message (see
   ``wechat_common``: one grant per message, kept across retries); it reaches the member
   even without following (服务通知), and links to the card page;
2. else a template message (``message/template/send``) when the member follows, with
   ``url`` = the member's card link;
3. else ``NotReachable`` (43004, 43101, no binding): the router falls back to the next rung.
Fields are ≤20 characters and carry only the masked ID and phone.

Notices to an admin go to the member in the outbox row's ``member_id`` (an admin who is a
party member with a binding): a template message with the first 20 characters of the
notice and a link to the admin pages. Without a binding the notice is ``NotReachable``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from service.clock import format_local, now_utc
from service.notify import ratelimit, wechat_common
from service.notify.channel import NotReachable, Outgoing, PermanentFailure, SendResult
from service.notify.wechat_client import WeChatClient, oa_client
from service.notify.wechat_common import Binding, fields, masked_id, masked_phone

NAME = "wechat_oa"
TEMPLATE_SEND = "cgi-bin/message/template/send"
BIZSEND = "cgi-bin/message/subscribe/bizsend"
CARD_HINT = "请点击详情核对您的党员信息"
REMINDER_HINT = "您的党员信息尚未确认，请尽快核对"


def member_data(msg: Outgoing) -> dict[str, dict[str, str]]:
    """Return the template fields of a card or reminder (keys of the chosen 类目模板).

    thing1 姓名, character_string2 身份证号 (masked), phone_number3 手机号 (masked),
    character_string4 确认码, thing5 提示.
    """
    hint = REMINDER_HINT if msg.kind == "reminder" else CARD_HINT
    return fields({"thing1": msg.name, "character_string2": masked_id(msg),
                   "phone_number3": masked_phone(msg),
                   "character_string4": msg.params.get("code"), "thing5": hint})


def notice_data(msg: Outgoing) -> dict[str, dict[str, str]]:
    """Return the notice fields: thing1 事项 (the text, cut to 20), time2 时间."""
    return fields({"thing1": msg.text, "time2": format_local(now_utc())})


@dataclass
class WeChatOA:
    """Send through the official account; ``templates``/``subscribe`` map kind → template id."""

    client: WeChatClient
    templates: dict[str, str]
    subscribe: dict[str, str] = field(default_factory=dict)
    notice_url: str | None = None
    name: str = NAME

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WeChatOA:
        """Build from WECHAT_* settings (needs app context for the client)."""
        pick = {"card": "WECHAT_TEMPLATE_CARD", "reminder": "WECHAT_TEMPLATE_REMINDER",
                "notice": "WECHAT_TEMPLATE_NOTICE"}
        subs = {"card": "WECHAT_SUBSCRIBE_CARD", "reminder": "WECHAT_SUBSCRIBE_REMINDER"}
        base = str(config.get("PUBLIC_BASE_URL") or "").rstrip("/")
        return cls(client=oa_client(),
                   templates={k: str(config[v]) for k, v in pick.items() if config.get(v)},
                   subscribe={k: str(config[v]) for k, v in subs.items() if config.get(v)},
                   notice_url=config.get("WECHAT_NOTICE_URL") or (f"{base}/admin/"
                                                                  if base else None))

    def send_card(self, msg: Outgoing) -> SendResult:
        return self._to_member(msg, "card")

    def send_reminder(self, msg: Outgoing) -> SendResult:
        return self._to_member(msg, "reminder")

    def send_notice(self, msg: Outgoing) -> SendResult:
        template = self.templates.get("notice")
        if not template:
            raise NotReachable("公众号未配置管理员通知模板", code="no_template")
        to = wechat_common.binding(msg.member_id, NAME)
        if not to.following:
            raise NotReachable("管理员未关注公众号", code="43004")
        body: dict[str, Any] = {"touser": to.openid, "template_id": template,
                                "data": notice_data(msg)}
        if self.notice_url:
            body["url"] = self.notice_url
        return self._post(TEMPLATE_SEND, body, "template")

    def _to_member(self, msg: Outgoing, kind: str) -> SendResult:
        to = wechat_common.binding(msg.member_id, NAME)
        sub = self.subscribe.get(kind)
        if sub and wechat_common.reserve(msg.outbox_id, to.id):
            try:
                return self._post(BIZSEND, {"touser": to.openid, "template_id": sub,
                                            "page": msg.link, "data": member_data(msg)},
                                  "subscribe")
            except PermanentFailure:
                wechat_common.release(msg.outbox_id)  # refused as a request: nothing spent
                raise
            except NotReachable:
                if not (to.following and self.templates.get(kind)):
                    raise  # 43101: the grant WeChat knew of is gone; try the template below
        return self._template(msg, kind, to)

    def _template(self, msg: Outgoing, kind: str, to: Binding) -> SendResult:
        template = self.templates.get(kind)
        if not template:
            raise NotReachable("公众号未配置模板消息", code="no_template")
        if not to.following:
            raise NotReachable("党员未关注公众号", code="43004")
        body = {"touser": to.openid, "template_id": template, "url": msg.link,
                "data": member_data(msg)}
        return self._post(TEMPLATE_SEND, body, "template")

    def _post(self, path: str, body: dict[str, Any], via: str) -> SendResult:
        ratelimit.acquire(self.name)
        answer = self.client.post(path, body)
        msgid = answer.get("msgid")
        # bizsend returns no msgid: its receipt is correlated by openid + template + time.
        return SendResult(None if msgid is None else str(msgid), {"via": via})
