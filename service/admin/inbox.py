"""The branch admin's queue of member replies we could not match safely: list them,
attribute one to the member who sent it (recording their confirmation, or sending them the
dispute link), or mark it dealt with on a note. Nothing queued is ever dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select, update

from service.admin import scope
from service.admin.auth import Requester, login_required, requester, signed_in_user
from service.admin.common import paginate
from service.admin.inbox_view import SMS_SOURCES, Reply, read
from service.campaign import outstanding, workflow
from service.clock import now_utc
from service.errors import Conflict, ServiceError
from service.extensions import db
from service.inbound import replies, sms_replies
from service.models import AdminUser, CampaignMember, InboxMessage, Member, Org
from service.models.inbox import QUEUED, RESOLVED, STATUS_LABELS
from service.unit_of_work import run_unit

bp = Blueprint("admin_inbox", __name__, url_prefix="/admin")
LISTED = {QUEUED: STATUS_LABELS[QUEUED], RESOLVED: STATUS_LABELS[RESOLVED]}
MAX_NOTE = 500
ANSWERS = {replies.CONFIRM: "确认无误", replies.DISPUTE: "信息有误"}


@bp.get("/inbox")
@login_required
def index() -> str:
    """List the queued replies in scope (or those already dealt with), newest first."""
    user = signed_in_user()
    status = request.args.get("status", QUEUED)
    status = status if status in LISTED else QUEUED
    query = (scope.inbox_query(user).outerjoin(Org, Org.id == InboxMessage.org_id)
             .where(InboxMessage.status == status))
    rows = query.with_only_columns(InboxMessage, Org.name.label("org_name"))
    page = paginate(rows.order_by(InboxMessage.received_at.desc(), InboxMessage.id.desc()),
                    select(func.count()).select_from(query.subquery()))
    page.rows = [(row, org_name, read(row)) for row, org_name in page.rows]
    return render_template("admin/inbox.html", page=page, status=status, labels=LISTED,
                           args={"status": status})


@bp.get("/inbox/<int:inbox_id>")
@login_required
def detail(inbox_id: int) -> Any:
    """Show one reply, the members whose phone on record sent it, and what can be done."""
    return _page(inbox_id)


def _page(inbox_id: int, error: str | None = None, status: int = 200) -> Any:
    user = signed_in_user()
    row = scope.get_inbox_item(user, inbox_id)
    reply = read(row)
    answer = _answer(reply)
    candidates = [(m, outstanding.awaiting(m.id)) for m in _candidates(user, row, reply)]
    return render_template(
        "admin/inbox_item.html", row=row, reply=reply, error=error, form=request.form,
        status_labels=STATUS_LABELS, queued=row.status == QUEUED, candidates=candidates,
        answer=ANSWERS.get(answer or ""), sms=row.source in SMS_SOURCES,
        can_act=scope.can(user, "resolve_inbox") and row.status == QUEUED,
    ), status


@bp.post("/inbox/<int:inbox_id>/attribute")
@login_required
def attribute(inbox_id: int) -> Any:
    """确认为该党员的回复: act on the reply for the member the admin identified."""
    user = signed_in_user()
    scope.get_inbox_item(user, inbox_id)
    scope.require(user, "resolve_inbox")
    member_id = request.form.get("member_id", type=int)
    card_id = request.form.get("card_id", type=int)
    return _act(inbox_id, partial(attribute_reply, user, inbox_id, member_id, card_id),
                note_required=False)


@bp.post("/inbox/<int:inbox_id>/resolve")
@login_required
def resolve(inbox_id: int) -> Any:
    """标记已处理: the admin dealt with it another way (a call, a wrong number) and says how."""
    user = signed_in_user()
    scope.get_inbox_item(user, inbox_id)
    scope.require(user, "resolve_inbox")
    return _act(inbox_id, partial(resolve_reply, user, inbox_id), note_required=True)


def attribute_reply(user: AdminUser, inbox_id: int, member_id: int | None,
                    card_id: int | None, *, note: str | None, who: Requester) -> str | None:
    """Act on a queued reply for the member the admin identified; return what was done, or
    None when it had been dealt with already."""
    row = scope.get_inbox_item(user, inbox_id)
    if row.status != QUEUED:
        return None
    reply = read(row)
    action = _answer(reply)
    if action is None:
        raise ServiceError("回复内容不是“1 确认”或“2 有误”，不能代为处理，请核实后标记已处理")
    member = _chosen(user, row, reply, member_id)
    cm = _card(member, card_id)
    assert cm.card is not None
    if action == replies.CONFIRM:
        done = workflow.confirm(cm.card.id, member.id, channel=sms_replies.CHANNEL,
                                identity=sms_replies.IDENTITY, actor=who.actor,
                                payload=row.raw.encode())
        outcome = f"已确认为党员{member.name}的回复，记录其确认（凭证{done.entry.evidence_id}）"
    else:
        sms_replies.queue_dispute_link(member, cm, f"{row.source}:{row.dedupe_key}",
                                       row.source)
        outcome = f"已确认为党员{member.name}的回复，已向其发送修改信息链接"
    _resolve(user, row, outcome, note, member)
    who.audit("inbox.attribute", target_type="inbox_message", target_id=row.id,
              member_id=member.id, card_id=cm.card.id, answer=action)
    return outcome


def resolve_reply(user: AdminUser, inbox_id: int, *, note: str | None, who: Requester
                  ) -> str | None:
    """Mark a queued reply dealt with on the admin's note; None when it had been already."""
    row = scope.get_inbox_item(user, inbox_id)
    if row.status != QUEUED:
        return None
    _resolve(user, row, "标记已处理", note, None)
    who.audit("inbox.resolve", target_type="inbox_message", target_id=row.id)
    return "已标记为已处理"


def _act(inbox_id: int, use_case: Callable[..., str | None], *, note_required: bool) -> Any:
    try:
        note = _note(required=note_required)
        done = run_unit(partial(use_case, note=note, who=requester()))
    except ServiceError as exc:
        return _page(inbox_id, error=exc.message, status=exc.code)
    if done is None:
        flash("该消息已处理过，未做任何更改。", "info")
    else:
        flash(f"{done}。", "success")
    return redirect(url_for(".index"))


def _resolve(user: AdminUser, row: InboxMessage, outcome: str, extra: str | None,
             member: Member | None) -> None:
    """Mark the row resolved, once: the conditional update is the lock a twin request waits
    on, and then finds nothing to change (its whole unit rolls back)."""
    note = outcome + (f"：{extra}" if extra else "") + (f"（排队原因：{row.note}）" if row.note
                                                       else "")
    values: dict[str, Any] = {"status": RESOLVED, "resolved_by": f"admin:{user.id}",
                              "resolved_at": now_utc(), "note": note}
    if member is not None:
        values.update(member_id=member.id, org_id=member.org_id)
    done = db.session.execute(
        update(InboxMessage).where(InboxMessage.id == row.id, InboxMessage.status == QUEUED)
        .values(**values).execution_options(synchronize_session=False))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("该消息刚刚已由他人处理，请刷新页面查看")
    db.session.expire(row)


def _answer(reply: Reply) -> str | None:
    """Return confirm/dispute when the reply reads as exactly one of them."""
    answer = replies.parse(reply.text)
    if answer is None or answer.action not in ANSWERS:
        return None
    return answer.action


def _candidates(user: AdminUser, row: InboxMessage, reply: Reply) -> list[Member]:
    """The members in the user's scope whose mobile on record is the sender's."""
    if row.source not in SMS_SOURCES or reply.phone is None:
        return []
    ids = [m.id for m in outstanding.members_by_phone(reply.phone)]
    if not ids:
        return []
    return list(db.session.scalars(scope.member_query(user).where(Member.id.in_(ids))
                                   .order_by(Member.id)))


def _chosen(user: AdminUser, row: InboxMessage, reply: Reply, member_id: int | None) -> Member:
    if row.source not in SMS_SOURCES or reply.phone is None:
        raise ServiceError("只有能识别发信号码的短信回复可以代为处理")
    if member_id is None:
        raise ServiceError("请选择发送该回复的党员")
    for member in _candidates(user, row, reply):
        if member.id == member_id:
            return member
    raise ServiceError("所选党员登记的手机号码与发信号码不符，或不在您的管理范围内")


def _card(member: Member, card_id: int | None) -> CampaignMember:
    awaiting = outstanding.awaiting(member.id)
    if card_id is not None:
        awaiting = [cm for cm in awaiting if cm.card_id == card_id]
    if not awaiting:
        raise ServiceError(f"党员{member.name}目前没有待确认的信息，请核实后标记已处理")
    if len(awaiting) > 1:
        raise ServiceError(f"党员{member.name}有{len(awaiting)}项待确认的信息，请选择是哪一项")
    return awaiting[0]


def _note(*, required: bool) -> str | None:
    note = (request.form.get("note") or "").strip()
    if required and not note:
        raise ServiceError("请填写处理说明（例如：已电话联系党员，其本人表示……）")
    if len(note) > MAX_NOTE:
        raise ServiceError(f"处理说明不能超过{MAX_NOTE}字")
    return note or None
