"""Which channel reaches a member: the configured ladder, the member's addresses, fallbacks.

``NOTIFY_CHANNELS`` is the ladder, best first (e.g. "wechat_oa,sms_aliyun" in production,
"console" for the demo). A member is skipped past channels they have no address on; a
``NotReachable`` failure moves the message to the next rung (see the dispatcher). The
channel a member was last reached by is read from the outbox, so admins can see it.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from service.extensions import db
from service.models import CampaignMember, Card, ChannelBinding, Member, OutboxMessage
from service.models.channel import WECHAT_MP, WECHAT_OA
from service.models.outbox import CARD, DELIVERED, SENT
from service.notify import outbox
from service.notify.channel import Channel

DEFAULT_LADDER = ("console",)
SMS_CHANNELS = frozenset({"sms_aliyun", "sms_tencent"})
WECHAT_CHANNELS = frozenset({WECHAT_OA, WECHAT_MP})


def ladder() -> list[str]:
    """Return the configured channels, best first."""
    raw = current_app.config.get("NOTIFY_CHANNELS") or DEFAULT_LADDER
    names = raw.split(",") if isinstance(raw, str) else list(raw)
    return [n.strip() for n in names if n.strip()]


def can_address(member: Member, channel: str) -> bool:
    """Return whether ``member`` has an address on ``channel``.

    WeChat needs an active binding; the official account also needs the member to follow
    it (template messages), unless a one-time subscription grant and a subscription
    template allow a subscription notice, which reaches non-followers too.
    """
    if channel in SMS_CHANNELS:
        return bool(member.mobile)
    if channel in WECHAT_CHANNELS:
        binding = db.session.scalars(
            select(ChannelBinding).where(ChannelBinding.member_id == member.id,
                                         ChannelBinding.channel == channel,
                                         ChannelBinding.revoked_at.is_(None))
            .order_by(ChannelBinding.id.desc()).limit(1)).first()
        if binding is None:
            return False
        if channel == WECHAT_OA:
            subscribe = bool(current_app.config.get("WECHAT_SUBSCRIBE_CARD"))
            return binding.following or (subscribe and binding.subscribe_grants > 0)
        return True
    return True


def first_channel(member: Member) -> str | None:
    """Return the best channel that can address ``member``, or None."""
    return next((c for c in ladder() if can_address(member, c)), None)


def next_channel(member_id: int | None, after: str) -> str | None:
    """Return the rung below ``after`` that can address the member, or None."""
    member = db.session.get(Member, member_id) if member_id is not None else None
    rungs = ladder()
    below = rungs[rungs.index(after) + 1:] if after in rungs else []
    return next((c for c in below if member is None or can_address(member, c)), None)


def queue_card(cm: CampaignMember, card: Card) -> OutboxMessage | None:
    """Queue ``card`` for the member in the caller's transaction (once per card)."""
    channel = first_channel(cm.member)
    if channel is None:
        return None  # no address at all: the collector reaches this member (proxy confirm)
    return outbox.enqueue(CARD, channel=channel, key=f"card:{card.id}", member_id=cm.member_id,
                          card_id=card.id, campaign_member_id=cm.id)


def reached_by(member_id: int) -> str | None:
    """Return the channel that last got a message to the member, or None."""
    return db.session.scalar(
        select(OutboxMessage.channel).where(
            OutboxMessage.member_id == member_id, OutboxMessage.state.in_((SENT, DELIVERED)))
        .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc()).limit(1))


def channel(name: str) -> Channel:
    """Return the app's channel called ``name``, built once from the configuration."""
    cache: dict[str, Channel] = current_app.extensions.setdefault("notify_channels", {})
    if name not in cache:
        cache[name] = _build(name)
    return cache[name]


def _build(name: str) -> Channel:
    config = current_app.config
    if name == "console":
        from service.notify.console import ConsoleChannel
        return ConsoleChannel()
    if name == "sms_aliyun":
        from service.notify.aliyun import AliyunSms
        return AliyunSms.from_config(config)
    if name == "sms_tencent":
        from service.notify.tencent import TencentSms
        return TencentSms.from_config(config)
    if name == WECHAT_OA:
        from service.notify.wechat_oa import WeChatOA
        return WeChatOA.from_config(config)
    if name == WECHAT_MP:
        from service.notify.wechat_mp import WeChatMP
        return WeChatMP.from_config(config)
    raise LookupError(f"未配置的发送渠道“{name}”")
