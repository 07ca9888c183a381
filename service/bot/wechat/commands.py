"""What the official account does with a push: member commands and account events.

No Flask request and no wechatpy here: a ``WeChatPush`` comes in, an ``Outcome`` (inbox
status, note, and the passive reply text) goes out, inside the caller's transaction.
Commands come only from a bound openid (the binding is the member's identity); anyone else
is answered with the link to bind.
"""

from __future__ import annotations

from sqlalchemy import update

from service.bot.wechat.push import WeChatPush
from service.campaign import outstanding, workflow
from service.campaign.states import StaleCard
from service.errors import ServiceError
from service.extensions import db
from service.identity.binding_links import binding_link
from service.inbound import replies
from service.inbound.inbox import Outcome
from service.links import card_link, dispute_link
from service.models import CampaignMember, ChannelBinding, Member
from service.models.campaign import DISPUTED, STATE_LABELS
from service.models.inbox import HANDLED, IGNORED, QUEUED
from service.notify import receipts

CHANNEL = "wechat_oa"
HELP = ("可以回复以下文字：\n“确认”——确认您的党员信息无误\n“有误”——说明哪一项信息需要修改\n"
        "“查询”——查看您的信息确认情况\n“帮助”——显示本说明")
DISPUTE_HINT = "请打开以下链接，说明哪一项信息有误及正确内容："
BIND = ("您好！您的微信尚未绑定党员信息。请点击以下链接核验身份并绑定（30分钟内有效），"
        "绑定后即可在这里确认您的党员信息：\n{link}")


def handle(push: WeChatPush) -> Outcome:
    """Act on one push and say what to answer."""
    if push.msg_type == "event":
        return _event(push)
    if push.msg_type == "text":
        return _command(push, push.text or "")
    member = outstanding.member_for_openid(CHANNEL, push.openid)
    if member is None:
        return Outcome(IGNORED, "未绑定用户的非文字消息", reply=_bind(push, ""))
    return Outcome(IGNORED, "非文字消息", member.id, member.org_id,
                   reply="暂时只能识别文字消息。\n" + HELP)


def _event(push: WeChatPush) -> Outcome:
    if push.event in ("subscribe", "scan"):
        return _followed(push)
    if push.event == "unsubscribe":
        _set_following(push.openid, False)
        return Outcome(HANDLED, "取消关注")
    if push.event == "templatesendjobfinish":
        return _template_receipt(push)
    if push.event == "subscribe_msg_popup_event":
        return _grants(push)
    if push.event == "click" and push.event_key:
        return _command(push, push.event_key)  # menu buttons keyed 确认/查询/帮助 ...
    return Outcome(IGNORED, "无需处理的事件")


def _followed(push: WeChatPush) -> Outcome:
    _set_following(push.openid, True)
    member = outstanding.member_for_openid(CHANNEL, push.openid)
    if member is None:
        return Outcome(HANDLED, "关注或扫码，已发送绑定链接", reply=_bind(push, push.scene))
    text = f"{member.name}同志，欢迎！您的微信已绑定党员信息。\n" + status_text(member)
    if push.scene.startswith("m") and push.scene != f"m{member.id}":
        text += "\n您扫描的是其他党员的二维码；本微信已绑定您本人，如需更改请联系党支部管理员。"
    return Outcome(HANDLED, None, member.id, member.org_id, reply=text)


def _set_following(openid: str, following: bool) -> None:
    db.session.execute(
        update(ChannelBinding).where(ChannelBinding.channel == CHANNEL,
                                     ChannelBinding.openid == openid)
        .values(following=following).execution_options(synchronize_session=False))


def _grants(push: WeChatPush) -> Outcome:
    accepted = sum(1 for _, status in push.popup if status.lower() == "accept")
    member = outstanding.member_for_openid(CHANNEL, push.openid)
    if member is None:
        return Outcome(IGNORED, "未绑定用户的订阅授权")
    if accepted:
        db.session.execute(
            update(ChannelBinding).where(ChannelBinding.channel == CHANNEL,
                                         ChannelBinding.openid == push.openid,
                                         ChannelBinding.revoked_at.is_(None))
            .values(subscribe_grants=ChannelBinding.subscribe_grants + accepted)
            .execution_options(synchronize_session=False))
    return Outcome(HANDLED, f"订阅消息授权：同意{accepted}项", member.id, member.org_id)


def _template_receipt(push: WeChatPush) -> Outcome:
    status = push.status or ""
    receipt = receipts.Receipt(CHANNEL, delivered=status.lower() == "success",
                               provider_msg_id=push.msg_id, error=status[:100] or None)
    try:
        result, row = receipts.apply(receipt, payload=push.raw.encode())
    except receipts.NotYetSent:
        return Outcome(IGNORED, "模板消息回执早于发送记录，仅留存")
    if result == receipts.UNMATCHED:
        return Outcome(IGNORED, "模板消息回执无法对应发送记录")
    return Outcome(HANDLED, f"模板消息回执：{status}（{result}）",
                   row.member_id if row else None)


def _command(push: WeChatPush, text: str) -> Outcome:
    member = outstanding.member_for_openid(CHANNEL, push.openid)
    if member is None:
        return Outcome(HANDLED, "未绑定用户发来消息，已发送绑定链接", reply=_bind(push, ""))
    answer = replies.parse(text)
    if answer is None or not answer.actions:
        return Outcome(QUEUED, "党员在公众号留言，未能识别为指令，请查看", member.id,
                       member.org_id, reply="没有识别您的意思，留言已转给党支部。\n" + HELP)
    if answer.action == replies.HELP:
        return _answer(member, HELP)
    if answer.action == replies.QUERY:
        return _answer(member, status_text(member))
    awaiting = outstanding.awaiting(member.id)
    if not awaiting:
        return _answer(member, "您目前没有待确认的信息。\n" + status_text(member))
    picked = _pick(answer, awaiting)
    if picked is None:
        return _answer(member, _which(awaiting))
    action, cm = picked
    if action == replies.CONFIRM:
        return _answer(member, _confirm(push, member, cm))
    assert cm.card is not None
    return _answer(member, f"{DISPUTE_HINT}\n{dispute_link(cm.card)}")


def _pick(answer: replies.Answer, awaiting: list[CampaignMember],
          ) -> tuple[str, CampaignMember] | None:
    if not answer.codes:
        action = answer.action
        return (action, awaiting[0]) if action and len(awaiting) == 1 else None
    hits = {(a, cm.id): (a, cm) for a, code in answer.readings for cm in awaiting
            if code and cm.card is not None and cm.card.open_code == code}
    return next(iter(hits.values())) if len(hits) == 1 else None


def _confirm(push: WeChatPush, member: Member, cm: CampaignMember) -> str:
    assert cm.card is not None
    try:
        done = workflow.confirm(cm.card.id, member.id, channel="wechat",
                                identity="bound_openid", provider_msg_id=push.msg_id,
                                payload=push.raw.encode())
    except StaleCard as stale:
        return f"{stale.message}\n最新信息：{card_link(stale.card)}"
    except ServiceError as refusal:
        return refusal.message
    if done.repeated:
        return f"您已确认过“{cm.campaign.name}”的信息，凭证编号{done.entry.evidence_id}。"
    return (f"确认成功！已记录您对“{cm.campaign.name}”信息的确认，"
            f"凭证编号{done.entry.evidence_id}。感谢您的配合！")


def _which(awaiting: list[CampaignMember]) -> str:
    lines = [f"您有{len(awaiting)}项信息待确认，请在回复中写明确认码：" if len(awaiting) > 1
             else "确认码不正确，您待确认的信息是："]
    for cm in awaiting:
        assert cm.card is not None
        lines.append(f"· {cm.campaign.name}：确认码{cm.card.open_code or cm.card.short_code}")
    code = awaiting[0].card.open_code if awaiting[0].card else ""
    lines.append(f"例如回复“确认 {code}”确认，或“有误 {code}”提出修改。")
    return "\n".join(lines)


def status_text(member: Member) -> str:
    """Return the member's confirmation status in plain Chinese."""
    rows = outstanding.memberships(member.id)
    if not rows:
        return "目前没有需要您确认的党员信息。"
    lines = ["您的信息确认情况："]
    for cm in rows:
        line = f"· {cm.campaign.name}：{STATE_LABELS.get(cm.state, cm.state)}"
        if cm.state in outstanding.AWAITING and cm.card is not None:
            line += (f"（确认码{cm.card.open_code or cm.card.short_code}，回复“确认”即可确认，"
                     f"详情：{card_link(cm.card)}）")
        elif cm.state == DISPUTED:
            line += "（您提出的修改意见正在由党支部处理）"
        lines.append(line)
    return "\n".join(lines)


def _answer(member: Member, text: str) -> Outcome:
    return Outcome(HANDLED, None, member.id, member.org_id, reply=text)


def _bind(push: WeChatPush, scene: str) -> str:
    return BIND.format(link=binding_link(CHANNEL, push.openid, scene))
