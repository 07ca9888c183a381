"""The mini-program JSON API under /api/mini/ and its OpenAPI document at /api/openapi.json.

Same use cases and evidence as the card page, with ``channel="miniprogram"`` and
``identity="bound_openid"``. Every answer is ``{"success": true, "data": …}`` or the one
error shape of ``service.errors`` with ``{"success": false, "errors": {field: 中文原因}}``
added, with a 4xx status for the caller's mistakes; the bearer token is ours (bearer.py),
never WeChat's session_key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from service.bot.mini import bearer, body
from service.bot.mini.card import card_items
from service.bot.mini.openapi import document
from service.bot.pages.guard import client
from service.campaign import corrections, workflow
from service.campaign.outstanding import awaiting, member_for_openid, memberships
from service.campaign.states import StaleCard
from service.errors import Conflict, Forbidden, ServiceError, json_error
from service.evidence import consent
from service.evidence.ledger import evidence_id
from service.extensions import db
from service.identity import binding
from service.models import CampaignMember, Card, Member
from service.models.campaign import STATE_LABELS
from service.models.channel import WECHAT_MP
from service.notify.channel import SendError
from service.notify.wechat_client import mp_client
from service.unit_of_work import run_unit

bp = Blueprint("mini_api", __name__)
log = logging.getLogger(__name__)
CHANNEL, IDENTITY = "miniprogram", "bound_openid"
HTTP_MESSAGES = {400: "请求格式不正确", 401: "请先登录", 404: "接口不存在", 405: "不支持该请求方法",
                 413: "请求内容过大", 415: "请求内容必须是JSON", 429: "请求过于频繁，请稍后再试"}


def ok(data: Any, status: int = 200) -> tuple[Response, int]:
    """Return the success envelope."""
    return jsonify({"success": True, "data": data}), status


def refuse(errors: dict[str, str], status: int, **extra: Any) -> tuple[Response, int]:
    """Return the failure envelope: the one error shape, the first reason as its message."""
    return json_error(status, next(iter(errors.values())), success=False, errors=errors,
                      **extra)


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> tuple[Response, int]:
    db.session.rollback()
    payload = dict(exc.payload)
    errors = payload.pop("errors", None) or {payload.pop("field", "request"): exc.message}
    return refuse(errors, exc.code, **payload)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[Response, int]:
    code = exc.code or 400
    return refuse({"request": HTTP_MESSAGES.get(code, exc.name)}, code)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> tuple[Response, int]:
    db.session.rollback()
    log.exception("mini api: unexpected %s", type(exc).__name__)
    return refuse({"request": "服务器内部错误，请稍后再试"}, 500)


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """Require our bearer token; the openid goes to ``g.openid``."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        openid = bearer.bearer_openid()
        if openid is None:
            response, status = refuse({"auth": "登录已失效，请重新进入小程序"}, 401)
            response.headers["WWW-Authenticate"] = 'Bearer realm="mini"'
            return response, status
        g.openid = openid
        return view(*args, **kwargs)

    return wrapper


def _member() -> Member:
    member = member_for_openid(WECHAT_MP, g.openid)
    if member is None:
        raise Forbidden("请先绑定党员身份", field="auth")
    return member


def _member_brief(member: Member | None) -> dict[str, Any] | None:
    return None if member is None else {"name": member.name}


@bp.get("/api/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document of this API."""
    return jsonify(document())


@bp.post("/api/mini/login")
def login() -> tuple[Response, int]:
    """Exchange a wx.login code for our token (bound or not)."""
    code = body.text(body.json_body(), "code", "登录凭证", max_len=128)
    try:
        answer = mp_client().code2session(str(code))
    except LookupError:
        return refuse({"request": "小程序尚未配置，暂时无法登录"}, 503)
    except SendError as exc:
        if exc.code in ("40029", "40163", "40226"):
            return refuse({"code": "登录凭证无效或已使用，请重新进入小程序"}, 401)
        if exc.code in ("45011", "45009"):
            return refuse({"code": "登录过于频繁，请稍后再试"}, 429)
        return refuse({"request": "微信登录服务暂时不可用，请稍后再试"}, 502)
    openid = str(answer.get("openid") or "")  # session_key is not kept anywhere
    if not openid:
        return refuse({"request": "微信未返回用户标识，请稍后再试"}, 502)
    member = member_for_openid(WECHAT_MP, openid)
    return ok({"token": bearer.issue_token(openid),
               "expires_in": int(current_app.config["MINI_SESSION_SECONDS"]),
               "bound": member is not None, "member": _member_brief(member)})


def _claim(data: dict[str, Any]) -> tuple[binding.Claim, str]:
    name = body.text(data, "name", "姓名", max_len=64)
    tail = body.text(data, "id_tail", "身份证号后六位", max_len=6)
    scene = body.text(data, "scene", "场景值", max_len=64, required=False) or ""
    try:
        binding.parse_scene(scene)
    except ServiceError as exc:
        raise body.Invalid({"scene": exc.message}) from exc
    return binding.parse_claim(name, tail), scene


@bp.post("/api/mini/bind/code")
@signed_in
def bind_code() -> tuple[Response, int]:
    """Send the binding code if name and ID tail match (the answer is the same either way)."""
    claim, scene = _claim(body.json_body())
    result = run_unit(lambda: binding.request_code(WECHAT_MP, g.openid, scene, claim))
    if not result.ok:
        return refuse({"request": result.message}, 429)
    return ok({"sent": True, "message": result.message})


@bp.post("/api/mini/bind")
@signed_in
def bind() -> tuple[Response, int]:
    """Bind this openid: name + ID tail + the SMS code."""
    data = body.json_body()
    claim, scene = _claim(data)
    code = body.text(data, "code", "短信验证码", max_len=12)
    ip, agent = client()
    result = run_unit(lambda: binding.complete(WECHAT_MP, g.openid, scene, claim, str(code),
                                                   ip=ip, user_agent=agent))
    if not result.ok:
        return refuse({"request": result.message}, 429 if result.locked else 403)
    return ok({"bound": True, "repeated": result.repeated,
               "member": _member_brief(result.member)})


def _card_json(card: Card, cm: CampaignMember) -> dict[str, Any]:
    campaign, state = cm.campaign, cm.state
    return {"card_id": card.id, "card_hash": card.sha256, "short_code": card.short_code,
            "campaign": {"id": campaign.id, "name": campaign.name,
                         "deadline": campaign.deadline.isoformat()},
            "state": state, "state_label": STATE_LABELS[state], "items": card_items(card)}


@bp.get("/api/mini/card")
@signed_in
def card() -> tuple[Response, int]:
    """Return my outstanding card (items named and masked) and the consent text."""
    member = _member()
    waiting = awaiting(member.id)
    shown = None
    if waiting:
        found = db.session.get(Card, waiting[0].card_id)
        shown = _card_json(found, waiting[0]) if found is not None else None
    return ok({"card": shown, "more": max(0, len(waiting) - 1),
               "consent": {"version": consent.CONSENT_VERSION,
                           "text": consent.TEXTS[consent.CONSENT_VERSION],
                           "given": consent.has_consented(member.id)}})


@bp.post("/api/mini/confirm")
@signed_in
def confirm() -> tuple[Response, int]:
    """Confirm a card as the bound member, bound to its hash; a repeat returns the same proof."""
    member = _member()
    data = body.json_body()
    card_id = body.identifier(data, "card_id", "确认卡编号")
    card_hash = body.text(data, "card_hash", "确认卡摘要", max_len=64, required=False)
    if data.get("consent") is not True:
        raise body.Invalid({"consent": "请先阅读并同意电子确认声明（consent 应为 true）"})
    found = db.session.get(Card, card_id)
    if found is not None and card_hash and card_hash != found.sha256:
        raise Conflict("您看到的信息已更新，请刷新后核对最新信息再确认", field="card_hash")
    ip, agent = client()
    raw = request.get_data()
    try:
        done = run_unit(lambda: workflow.confirm(
            card_id, member.id, channel=CHANNEL, identity=IDENTITY, payload=raw, ip=ip,
            user_agent=agent))
    except StaleCard as exc:
        return refuse({"card_id": exc.message}, 409, new_card=exc.payload.get("new_card"))
    return ok({"evidence_id": evidence_id(done.entry.seq), "entry_hash": done.entry.entry_hash,
               "repeated": done.repeated, "state": "confirmed"})


@bp.post("/api/mini/dispute")
@signed_in
def dispute() -> tuple[Response, int]:
    """Say which items are wrong and what they should be; it goes to the branch admin."""
    member = _member()
    data = body.json_body()
    card_id = body.identifier(data, "card_id", "确认卡编号")
    fields = data.get("fields")
    if not isinstance(fields, dict) or not 1 <= len(fields) <= 30:
        raise body.Invalid({"fields": "请在 fields 中写明有误的信息项及正确内容"})
    proposed = {str(k): body.text(fields, k, f"“{str(k)[:20]}”的正确内容", max_len=200)
                for k in fields}
    note = body.text(data, "note", "说明", max_len=500, required=False)
    ip, agent = client()
    raw = request.get_data()
    request_row = run_unit(lambda: corrections.dispute(
        card_id, member.id, proposed={k: str(v) for k, v in proposed.items()}, note=note,
        channel=CHANNEL, identity=IDENTITY, payload=raw, ip=ip, user_agent=agent))
    return ok({"request_id": request_row.id, "fields": sorted(proposed), "state": "disputed"})


@bp.get("/api/mini/status")
@signed_in
def status() -> tuple[Response, int]:
    """Return whether I am bound and where each of my open campaigns stands."""
    member = member_for_openid(WECHAT_MP, g.openid)
    rows = [] if member is None else [
        {"campaign_id": cm.campaign_id, "campaign": cm.campaign.name, "state": cm.state,
         "state_label": STATE_LABELS[cm.state], "card_id": cm.card_id}
        for cm in memberships(member.id)]
    return ok({"bound": member is not None, "member": _member_brief(member),
               "memberships": rows})
