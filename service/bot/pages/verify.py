"""/verify: a member holding a card link proves it is them with a code sent to their phone.

The card page links here as ``/verify?next=/m/<card token>`` ("验证身份后查看完整身份证号").
The member is the card's member; the code goes to the mobile on record (shown masked), and
a right code marks the browser session verified ("sms_code") for that card before going back
to ``next``. A link too old for the card page is refused here too, and no code is sent for it.
"""

from __future__ import annotations

import re

from flask import Blueprint, current_app, redirect, render_template, request, session
from werkzeug.wrappers import Response

from service.bot.pages import shortlinks
from service.bot.pages.guard import safe_next
from service.campaign.cards import LinkExpired, load_card_token
from service.errors import NotFound, ServiceError
from service.extensions import db
from service.identity import member_session, otp
from service.models import Card, Member
from service.models.member_auth import VERIFY
from service.records.phones import mask_phone
from service.unit_of_work import run_unit

bp = Blueprint("verify", __name__)
_CARD_PATH = re.compile(r"/m/([A-Za-z0-9_.\-]+)")
_SHORT_PATH = re.compile(r"/s/([A-Za-z0-9]+)")
SENT_KEY = "verify_sent"  # member id a code was last sent to from this browser


def _card_from(next_path: str) -> tuple[Card, Member] | None:
    """Return the card ``next`` names and its member, or None when the link has expired."""
    match = _CARD_PATH.match(next_path)
    short = _SHORT_PATH.match(next_path)
    max_age = int(current_app.config["MEMBER_LINK_MAX_AGE"])  # as the card page counts it
    if match is not None:
        try:
            card = load_card_token(match[1], max_age=max_age)
        except LinkExpired:
            return None
    elif short is not None:  # the short link from the SMS, as the member opened it
        found = shortlinks.find_card(short[1])
        if found is None:
            raise ServiceError("链接无效")
        if shortlinks.expired(found):
            return None
        card = found
    else:
        raise ServiceError("请从收到的确认卡链接进入本页面")
    member = db.session.get(Member, card.member_id)
    if member is None:
        raise NotFound("党员不存在")
    return card, member


@bp.route("/verify", methods=["GET", "POST"])
def page() -> str | Response | tuple[str, int]:
    """Send the code (action=send) or check it (action=check), then go back to the card."""
    next_path = safe_next(request.values.get("next"), default="")
    found = _card_from(next_path)
    if found is None:  # the card page's own answer to an expired link
        return render_template("member/notice.html", kind="warn", title="链接已过期"), 410
    card, member = found
    if member_session.verified_member_id(card.id) == member.id and request.method == "GET":
        return redirect(next_path)
    error = notice = None
    sent = session.get(SENT_KEY) == member.id
    if request.method == "POST":
        if request.form.get("action") == "send":
            try:
                issued = run_unit(lambda: otp.issue(member, purpose=VERIFY, context=VERIFY))
                notice = f"验证码已发送到手机{issued.masked_phone}，10分钟内有效"
                session[SENT_KEY] = member.id
                sent = True
            except ServiceError as exc:
                error = exc.message
        else:
            code = request.form.get("code", "")
            checked = run_unit(lambda: otp.check(member.id, purpose=VERIFY, context=VERIFY,
                                                 code=code))
            if checked.ok:
                member_session.mark_verified(member.id, "sms_code", card.id)
                session.pop(SENT_KEY, None)
                return redirect(next_path)
            error = checked.message
    phone = mask_phone(member.mobile) if member.mobile else None
    return render_template("bind/verify.html", phone=phone, next_path=next_path, sent=sent,
                           error=error, notice=notice, back_path=_card_of(next_path))


def _card_of(next_path: str) -> str:
    # Back goes to the card itself: its "full" page would only send the member here again.
    match = _CARD_PATH.match(next_path)
    return f"/m/{match[1]}" if match is not None else next_path
