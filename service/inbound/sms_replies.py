"""A member's SMS reply: who sent it (the phone on record), which card, and what they answered.

The SMS door calls ``handle`` for each reply it records once: ``match`` finds the member and
card (``replies.parse`` reads the words), then "1"/"Y" goes to ``campaign.workflow.confirm``
(identity ``sms_phone``) and "2"/"N" queues the dispute link by SMS. Only a safe match acts:
one member on that phone (or a card code that names one of them), one outstanding card (or a
code naming it), and a reply that reads as exactly one answer. Everything else goes to the
branch admin's queue with a note saying why — never dropped. The admin's queue, attributing a
reply to a member, reuses ``queue_dispute_link``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from service.campaign import outstanding, workflow
from service.campaign.states import StaleCard
from service.errors import ServiceError
from service.inbound import replies
from service.inbound.inbox import Outcome
from service.links import dispute_link
from service.models import CampaignMember, Member
from service.models.campaign import SETTLED_STATES
from service.models.inbox import HANDLED, IGNORED, QUEUED
from service.models.outbox import NOTICE
from service.notify import outbox

CHANNEL = "sms"
IDENTITY = "sms_phone"
DISPUTE_HINT = "请打开以下链接，说明哪一项信息有误及正确内容："


@dataclass(frozen=True)
class Match:
    """A reply matched safely: the member, the outstanding card it answers, and the answer."""

    member: Member
    cm: CampaignMember
    action: str  # replies.CONFIRM or replies.DISPUTE


def handle(source: str, dedupe_key: str, *, phone: str | None, text: str, raw: str,
           provider_id: str | None, reply_channel: str) -> Outcome:
    """Act on one reply and return what happened (status, note, member, branch)."""
    found = match(phone, text)
    if isinstance(found, Outcome):
        return found
    member, cm = found.member, found.cm
    where = Outcome(HANDLED, None, member.id, member.org_id)
    if found.action == replies.CONFIRM:
        return _confirm(member, cm, raw, provider_id, where)
    return _send_dispute_link(member, cm, f"{source}:{dedupe_key}", reply_channel, where)


def match(phone: str | None, text: str) -> Match | Outcome:
    """Find who sent the reply (the phone on record), which card it answers and what it says.

    Return the Outcome instead when there is no safe match: the note says why, for the queue.
    """
    if phone is None:
        return Outcome(QUEUED, "无法识别发信号码，无法对应党员")
    members = outstanding.members_by_phone(phone)
    if not members:
        return Outcome(QUEUED, "该号码不是任何党员登记的手机号码")
    org_id = _common_org(members)
    member_id = members[0].id if len(members) == 1 else None
    answer = replies.parse(text)
    if answer is None or not answer.actions <= {replies.CONFIRM, replies.DISPUTE}:
        return Outcome(QUEUED, "回复内容无法识别为“1 确认”或“2 有误”，请人工核实",
                       member_id, org_id)
    candidates = [(m, cm) for m in members for cm in outstanding.awaiting(m.id)]
    if answer.codes:
        matches = {(action, cm.id): (action, m, cm) for action, code in answer.readings
                   for m, cm in candidates if code and cm.card and cm.card.open_code == code}
        if not matches:
            return Outcome(QUEUED, "回复中的确认码与该号码党员待确认的信息不符", member_id, org_id)
        if len(matches) > 1:
            return Outcome(QUEUED, "回复内容有多种理解，无法判断是确认还是有误", member_id, org_id)
        action, member, cm = next(iter(matches.values()))
        return Match(member, cm, action)
    if len(members) > 1:
        return Outcome(QUEUED, f"该号码登记在{len(members)}名党员名下，回复中没有确认码，"
                       "无法判断是哪一位", None, org_id)
    member = members[0]
    if len(candidates) != 1:
        return _not_one(member, len(candidates), answer.action == replies.CONFIRM)
    return Match(member, candidates[0][1], answer.action or "")


def _confirm(member: Member, cm: CampaignMember, raw: str, provider_id: str | None,
             where: Outcome) -> Outcome:
    assert cm.card is not None
    try:
        done = workflow.confirm(cm.card.id, member.id, channel=CHANNEL, identity=IDENTITY,
                                provider_msg_id=provider_id, payload=raw.encode())
    except StaleCard:
        return _with(where, HANDLED, "党员信息已变更，本次确认未采纳，已向党员发送新的确认信息")
    except ServiceError as refusal:
        return _with(where, QUEUED, f"党员回复确认，但未能自动处理：{refusal.message}")
    return _with(where, HANDLED, f"短信回复确认，凭证{done.entry.evidence_id}")


def _send_dispute_link(member: Member, cm: CampaignMember, inbox_key: str, channel: str,
                       where: Outcome) -> Outcome:
    queue_dispute_link(member, cm, inbox_key, channel)
    return _with(where, HANDLED, "党员回复信息有误，已发送修改信息链接")


def queue_dispute_link(member: Member, cm: CampaignMember, inbox_key: str, channel: str) -> None:
    """Queue the member's dispute link by SMS, once per reply (``inbox_key`` names the reply:
    "<source>:<dedupe_key>"); the branch admin's queue uses it for a reply it attributes."""
    assert cm.card is not None
    link = dispute_link(cm.card)
    digest = hashlib.sha256(inbox_key.encode()).hexdigest()[:16]
    # A member-addressed notice on the channel the reply came in on; one per reply.
    outbox.enqueue(
        NOTICE, channel=channel, key=f"dispute-link:{cm.card.id}:{digest}",
        member_id=member.id, card_id=cm.card.id, campaign_member_id=cm.id,
        payload={"audience": "member", "purpose": "dispute_link", "link": link,
                 "to": member.name, "text": f"{member.name}同志：{DISPUTE_HINT}{link}"})


def _not_one(member: Member, awaiting: int, confirming: bool) -> Outcome:
    where = Outcome(QUEUED, None, member.id, member.org_id)
    if awaiting > 1:
        return _with(where, QUEUED, f"该党员有{awaiting}项待确认的信息，回复中没有确认码")
    states = {cm.state for cm in outstanding.memberships(member.id)}
    if states and states <= SETTLED_STATES and confirming:
        return _with(where, IGNORED, "该党员已确认过，重复回复无需处理")
    if outstanding.disputed(member.id):
        return _with(where, QUEUED, "该党员已提出修改意见，现又回复短信，请与党员核实")
    return _with(where, QUEUED, "该党员目前没有待确认的信息")


def _with(where: Outcome, status: str, note: str) -> Outcome:
    return Outcome(status, note, where.member_id, where.org_id)


def _common_org(members: list[Member]) -> int | None:
    orgs = {m.org_id for m in members}
    return orgs.pop() if len(orgs) == 1 else None
