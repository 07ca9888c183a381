"""WeChat web OAuth (snsapi_base) for the card page: learn the browser's openid silently.

/wechat/oauth/start?next=<path> keeps a random ``state`` in the session and sends the
browser to WeChat's authorize page; /wechat/oauth/callback?code&state checks the state
(once: it is removed on first use), exchanges the single-use code for the openid, remembers
it, and when the openid is bound marks the session verified ("bound_openid") and goes to
``next`` or to the member's outstanding card. ``next`` is only ever a path on this site.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

from flask import Blueprint, current_app, redirect, render_template, request, session
from werkzeug.wrappers import Response

from service.bot.pages.guard import safe_next
from service.campaign.outstanding import awaiting, disputed, member_for_openid
from service.clock import now_utc
from service.errors import Forbidden, ServiceError
from service.extensions import db
from service.identity import member_session
from service.links import card_path, public_base
from service.models import Card
from service.models.channel import WECHAT_OA
from service.notify.channel import SendError
from service.notify.wechat_client import oa_client

bp = Blueprint("oauth", __name__)
STATE_KEY = "wechat_oauth"  # {"state", "next", "at"}


@bp.get("/wechat/oauth/start")
def start() -> Response:
    """Send the browser to WeChat's silent authorization, coming back to the callback."""
    try:
        client = oa_client()
    except LookupError as exc:
        raise ServiceError("本系统未开通微信公众号登录，请通过短信验证码验证身份") from exc
    state = secrets.token_hex(16)  # WeChat allows ≤128 characters of [A-Za-z0-9]
    session[STATE_KEY] = {"state": state, "at": now_utc().isoformat(),
                          "next": safe_next(request.args.get("next"), default="")}
    return redirect(client.authorize_url(f"{public_base()}/wechat/oauth/callback", state))


@bp.get("/wechat/oauth/callback")
def callback() -> str | Response:
    """Take WeChat's code back: check the state, exchange the code, go on."""
    saved = session.pop(STATE_KEY, None)
    state = request.args.get("state", "")
    if not isinstance(saved, dict) or not hmac.compare_digest(
            str(saved.get("state", "")).encode(), state.encode()):
        raise Forbidden("授权请求已失效或来源不明，请重新打开确认链接")
    age = (now_utc() - datetime.fromisoformat(str(saved["at"]))).total_seconds()
    if age > int(current_app.config["OAUTH_STATE_SECONDS"]):
        raise Forbidden("授权请求已超时，请重新打开确认链接")
    code = request.args.get("code", "")
    if not code or len(code) > 256:
        raise ServiceError("微信未返回授权，请重新打开确认链接")
    try:
        openid = str(oa_client().oauth_access_token(code).get("openid") or "")
    except (SendError, LookupError) as exc:
        raise ServiceError("微信授权已失效（授权只能使用一次），请重新打开确认链接") from exc
    if not openid:
        raise ServiceError("微信未返回用户标识，请重新打开确认链接")
    member_session.set_openid(WECHAT_OA, openid)
    next_path = safe_next(str(saved.get("next") or ""), default="")
    member = member_for_openid(WECHAT_OA, openid)
    if member is None:
        if next_path:
            return redirect(next_path)
        return render_template("bind/oauth_result.html", bound=False,
                               account=current_app.config["WECHAT_OA_NAME"])
    cms = awaiting(member.id)
    card = db.session.get(Card, cms[0].card_id) if cms else None
    # The proof shows the full ID on the card waiting for the member (see member_session).
    member_session.mark_verified(member.id, "bound_openid", card.id if card is not None else None)
    if next_path:
        return redirect(next_path)
    if card is not None:
        return redirect(card_path(card))
    return render_template("bind/oauth_result.html", bound=True, member=member,
                           waiting_branch=bool(disputed(member.id)))
