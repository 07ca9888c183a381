"""/bind/<token>: the member proves who they are and binds the WeChat account that scanned.

The token (from the reply to a QR scan) names the channel, openid and scene. Step one asks
for name and ID tail and sends a code (the answer never says whether they matched); step two
takes the code with the same details and binds. /bind/start/<scene> is what a poster's QR
points at when WeChat is not configured: how to follow the account and bind from there.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from werkzeug.wrappers import Response

from service.bot.pages.guard import client
from service.campaign.outstanding import awaiting
from service.errors import ServiceError
from service.extensions import db
from service.identity import binding, member_session
from service.identity.binding_links import load_binding_token
from service.links import card_path
from service.models import Card, Org
from service.unit_of_work import run_unit

bp = Blueprint("bind", __name__)


@bp.route("/bind/<token>", methods=["GET", "POST"])
def page(token: str) -> str | Response:
    """Show the binding form; send the code (action=send) or bind (action=bind)."""
    data = load_binding_token(token)
    channel, openid, scene = data["channel"], data["openid"], data["scene"]
    binding.parse_scene(scene)  # refuse a malformed scene before anything else
    form = {"name": request.form.get("name", ""), "id_tail": request.form.get("id_tail", "")}
    error = notice = None
    step = "details"
    if request.method == "POST":
        try:
            claim = binding.parse_claim(form["name"], form["id_tail"])
        except ServiceError as exc:
            claim, error = None, exc.message
        if claim is not None and request.form.get("action") == "send":
            try:
                result = run_unit(lambda: binding.request_code(channel, openid, scene, claim))
                notice, error = (result.message, None) if result.ok else (None, result.message)
                step = "code" if result.ok else "details"
            except ServiceError as exc:
                error, step = exc.message, "code"
        elif claim is not None:
            ip, agent = client()
            code = request.form.get("code", "")
            result = run_unit(lambda: binding.complete(
                channel, openid, scene, claim, code, ip=ip, user_agent=agent))
            if result.ok and result.member is not None:
                return _done(result.member.id, channel, openid, result.repeated)
            error, step = result.message, "code"
    return render_template("bind/bind.html", form=form, step=step, error=error, notice=notice,
                           org=_scene_org(scene))


def _done(member_id: int, channel: str, openid: str, repeated: bool) -> str:
    # The person just proved it with the phone on record, in this (WeChat) browser.
    member_session.set_openid(channel, openid)
    cms = awaiting(member_id)
    card = db.session.get(Card, cms[0].card_id) if cms else None
    member_session.mark_verified(member_id, "sms_code", card.id if card is not None else None)
    return render_template("bind/done.html", repeated=repeated,
                           card_path=card_path(card) if card is not None else None)


def _scene_org(scene: str) -> Org | None:
    kind, ident = binding.parse_scene(scene)
    return db.session.get(Org, ident) if kind == "o" else None


@bp.get("/bind/start/<scene>")
def start(scene: str) -> str:
    """Explain how to bind: follow the official account, then scan or send 绑定 there."""
    kind, ident = binding.parse_scene(scene)
    org = db.session.get(Org, ident) if kind == "o" else None
    return render_template("bind/start.html", org=org,
                           account=current_app.config["WECHAT_OA_NAME"])
