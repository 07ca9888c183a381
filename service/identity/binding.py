"""Binding a WeChat openid to a member: check name + ID tail + SMS code, bind, record evidence.

Whoever holds the openid proves who they are in two steps, and no answer says which part
was wrong: asking for a code always gets the same reply (a code goes out only if name and
ID tail match someone in the scene), and a failed binding always gets the same refusal.
Misses count against the openid (and, on a member's own QR, against that member); enough of
them lock it. Nothing here commits: the edge commits the counts even when it refuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from service import audit, throttle
from service.campaign.outstanding import member_for_openid
from service.clock import now_utc
from service.errors import ServiceError
from service.evidence import ledger
from service.extensions import db
from service.identity import otp
from service.identity.binding_links import binding_link
from service.models import ChannelBinding, Member, Org
from service.models.channel import (
    BY_MINI_LOGIN,
    BY_QR_MEMBER,
    BY_QR_POSTER,
    METHOD_LABELS,
    WECHAT_MP,
    WECHAT_OA,
)
from service.models.member import ACTIVE
from service.models.member_auth import BIND
from service.records.idcard import mask_id
from service.records.phones import mask_phone
from service.roster.orgs import in_subtree

BY_OA_MESSAGE = "oa_message"  # asked from inside the official account, no QR scene
SENT_HINT = ("如果姓名和身份证号后六位与登记信息一致，验证码已发送到您登记的手机，请注意查收。"
             "如几分钟内仍未收到，请核对姓名和身份证号后六位后重新获取。")
FAILED = "姓名、身份证号后六位或验证码不正确（验证码10分钟内有效），请核对后重试"
EVIDENCE_CHANNEL = {WECHAT_OA: "wechat", WECHAT_MP: "miniprogram"}
_TAIL = re.compile(r"\d{5}[\dX]")


@dataclass(frozen=True)
class Claim:
    """Who the person says they are: a name and the last six characters of an ID number."""

    name: str
    id_tail: str


@dataclass(frozen=True)
class Result:
    """What a step came to; ``message`` is what the person reads."""

    ok: bool
    message: str
    member: Member | None = None
    repeated: bool = False  # already bound to this member: nothing new recorded
    locked: bool = False  # refused because the openid or member is locked for a while


def parse_claim(name: str | None, id_tail: str | None) -> Claim:
    """Return the claim typed in, or refuse a malformed one naming the field."""
    clean = re.sub(r"\s+", "", name or "")
    tail = re.sub(r"\s+", "", id_tail or "").upper()
    tail = tail.translate(str.maketrans("０１２３４５６７８９Ｘ", "0123456789X"))
    if not clean or len(clean) > 64:
        raise ServiceError("请填写姓名（与党员信息登记的姓名一致）", field="name")
    if not _TAIL.fullmatch(tail):
        raise ServiceError("请填写身份证号码的后六位（6位，最后一位可能是X）", field="id_tail")
    return Claim(clean, tail)


def parse_scene(scene: str | None) -> tuple[str, int | None]:
    """Split a QR scene into its kind ("m" member, "o" org, "" none) and id."""
    match = re.fullmatch(r"([mo])(\d{1,18})", scene or "")
    if match:
        return match[1], int(match[2])
    if scene:
        raise ServiceError("二维码无效，请重新扫描党支部提供的二维码")
    return "", None


def method_for(channel: str, scene: str) -> str:
    """Return how a binding made from ``scene`` on ``channel`` is recorded."""
    kind, _ = parse_scene(scene)
    if channel == WECHAT_MP:
        return BY_MINI_LOGIN
    return {"m": BY_QR_MEMBER, "o": BY_QR_POSTER}.get(kind, BY_OA_MESSAGE)


def openid_key(channel: str, openid: str) -> str:
    """Return the throttle key of binding attempts from one openid."""
    return f"bind:{channel}:{openid}"


def find_member(scene: str, claim: Claim) -> Member | None:
    """Return the one active member in the scene with this name and ID tail, or None."""
    kind, ident = parse_scene(scene)
    query = select(Member).where(Member.name == claim.name, Member.record_status == ACTIVE)
    if kind == "m":
        query = query.where(Member.id == ident)
    elif kind == "o":
        org = db.session.get(Org, ident)
        if org is None:
            return None
        query = query.join(Org, Member.org_id == Org.id).where(in_subtree(org))
    found = [m for m in db.session.scalars(query.order_by(Member.id).limit(50))
             if m.id_number and m.id_number[-6:].upper() == claim.id_tail]
    return found[0] if len(found) == 1 else None  # two identical claims: cannot tell


def request_code(channel: str, openid: str, scene: str, claim: Claim) -> Result:
    """Send a binding code if the claim matches; answer the same either way."""
    key = openid_key(channel, openid)
    if (until := throttle.locked_until(key)) is not None:
        return Result(False, throttle.lock_message(until), locked=True)
    member = find_member(scene, claim)
    if member is None:
        return _miss(key, scene, SENT_HINT, ok=True)
    otp.issue(member, purpose=BIND, context=key)  # refusals (no phone, too often) are raised
    return Result(True, SENT_HINT)


def complete(
    channel: str, openid: str, scene: str, claim: Claim, code: str, *,
    ip: str | None = None, user_agent: str | None = None,
) -> Result:
    """Bind ``openid`` to the claimed member if claim and code are right; else refuse alike."""
    key = openid_key(channel, openid)
    if (until := throttle.locked_until(key)) is not None:
        return Result(False, throttle.lock_message(until), locked=True)
    member = find_member(scene, claim)
    if member is not None:
        bound = member_for_openid(channel, openid)
        if bound is not None and bound.id == member.id:
            return Result(True, "您已完成绑定", member, repeated=True)  # double click, reload
        checked = otp.check(member.id, purpose=BIND, context=key, code=code)
        if checked.ok:
            assert checked.code_id is not None
            bind_openid(member, channel, openid, method=method_for(channel, scene), scene=scene,
                        code_id=checked.code_id, ip=ip, user_agent=user_agent)
            throttle.clear(key)
            return Result(True, "绑定成功", member)
        if (locked := throttle.locked_until(otp.member_key(member.id))) is not None:
            throttle.fail(key, otp.failure_limit())
            return Result(False, throttle.lock_message(locked), locked=True)
        return _miss(key, "", FAILED, ok=False)  # the code check counted against the member
    return _miss(key, scene, FAILED, ok=False)


def _miss(key: str, scene: str, message: str, *, ok: bool) -> Result:
    kind, ident = parse_scene(scene)
    if kind == "m" and ident is not None:
        # Someone is guessing at this member's QR.
        throttle.fail(otp.member_key(ident), otp.failure_limit())
    left = throttle.fail(key, otp.failure_limit())
    if left == 0:
        until = throttle.locked_until(key)
        assert until is not None
        return Result(False, throttle.lock_message(until), locked=True)
    return Result(ok, message if ok else f"{message}，还可以再试{left}次")


def bind_openid(
    member: Member, channel: str, openid: str, *, method: str, scene: str, code_id: int,
    ip: str | None = None, user_agent: str | None = None,
) -> ChannelBinding:
    """Make ``openid`` reach ``member`` on ``channel`` (replacing its previous member), with
    one binding evidence entry per verified code and an audit entry."""
    row = db.session.scalar(select(ChannelBinding).where(
        ChannelBinding.channel == channel, ChannelBinding.openid == openid))
    replaced = None
    if row is None:
        # A racing insert of the same openid meets the unique key; the edge's retry finds it.
        row = ChannelBinding(member_id=member.id, channel=channel, openid=openid, method=method,
                             following=True, subscribe_grants=0)
        db.session.add(row)
    else:
        if row.revoked_at is None and row.member_id != member.id:
            replaced = row.member_id
        row.member_id, row.method, row.revoked_at = member.id, method, None
    row.bound_at = now_utc()
    db.session.flush()
    actor = f"member:{member.id}"
    details = {
        "action": "bound", "method": method,
        "method_label": METHOD_LABELS.get(method, "公众号内核验"),
        "binding_channel": channel, "openid": openid, "scene": scene,
        "verified": ["name", "id_tail", "sms_code"], "name": member.name,
        "id_number_masked": mask_id(member.id_number or ""),
        "code_sent_to": mask_phone(member.mobile or ""), "replaced_member": replaced,
    }
    entry = ledger.append(ledger.BINDING, actor=actor, member_id=member.id,
                          channel=EVIDENCE_CHANNEL.get(channel, channel), identity="sms_code",
                          ip=ip, user_agent=user_agent, data=details,
                          idempotency_key=f"binding:{code_id}")
    audit.record("member.bind", actor=actor, target_type="member", target_id=member.id, ip=ip,
                 user_agent=user_agent, channel=channel, method=method,
                 evidence=ledger.evidence_id(entry.seq), replaced_member=replaced)
    if replaced is not None:
        _record_revoked(replaced, channel, openid, member.id, code_id)
    return row


def _record_revoked(old_member: int, channel: str, openid: str, new_member: int,
                    code_id: int) -> None:
    data = {"action": "revoked", "binding_channel": channel, "openid": openid,
            "reason": "该微信账号已由其他党员核验绑定", "new_member": new_member}
    ledger.append(ledger.BINDING, actor=f"member:{new_member}", member_id=old_member,
                  channel=EVIDENCE_CHANNEL.get(channel, channel), identity="sms_code",
                  data=data, idempotency_key=f"binding:{code_id}:revoked")
    audit.record("member.unbind", actor=f"member:{new_member}", target_type="member",
                 target_id=old_member, channel=channel, reason="rebound_to_other_member")


def scan_reply(channel: str, openid: str, scene: str) -> str:
    """Return what to answer a scan of a binding QR (for the WeChat callback)."""
    bound = member_for_openid(channel, openid)
    kind, ident = parse_scene(scene)
    if bound is not None and (kind != "m" or bound.id == ident):
        return "您的微信已绑定党员身份，党员信息确认卡将通过本公众号发送给您。"
    link = binding_link(channel, openid, scene)
    return ("欢迎关注！请点击下面的链接，核对姓名和身份证号后六位，并输入短信验证码，"
            f"完成党员身份绑定（链接30分钟内有效）：{link}")
