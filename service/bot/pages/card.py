"""The member's card page (H5) under /m/<token>, its dispute form, and short links under /s/.

Every POST answers with a redirect to the card page, which shows the member's state as
stored; a double submit (the use cases are idempotent) therefore ends on the same page.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import quote

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.wrappers import Response

from service import audit
from service.bot.pages import card_status, card_view, dispute_form, shortlinks
from service.campaign import corrections, workflow
from service.campaign.cards import TOKEN_SALT, card_content, card_token, load_card_token
from service.campaign.states import InvalidTransition, StaleCard, membership
from service.errors import ServiceError
from service.evidence import consent
from service.extensions import db
from service.identity.member_session import verified_how, verified_member_id
from service.models import Card
from service.models.campaign import DISPUTED, OPEN, PENDING, SETTLED_STATES, UNREACHABLE
from service.unit_of_work import run_unit

bp = Blueprint("card_pages", __name__)
VERIFY_PATH = "/verify"  # the one-time SMS code page (service.bot.pages.verify)
ANSWERABLE = (PENDING, UNREACHABLE)


@bp.after_request
def _private(response: Response) -> Response:
    # Personal data behind a secret link: no caching on shared phones or proxies, no framing
    # (a hidden confirm button under someone else's page), no link in Referer headers.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.errorhandler(ServiceError)
def _refused(exc: ServiceError) -> tuple[str, int]:
    db.session.rollback()
    if isinstance(exc, LinkRefused):
        return render_template("member/notice.html", title=exc.message, kind="warn"), (
            410 if exc.message == "链接已过期" else 404)
    return render_template("member/notice.html", title=exc.message, kind="warn"), exc.code


@bp.get("/m/<token>")
def card(token: str) -> Any:
    """Show the card, or what became of it (confirmed, waiting, updated, closed)."""
    return _page(_load(token), token)


@bp.get("/m/<token>/full")
def full(token: str) -> Any:
    """Show the card with the full ID number, once the session proved it is this member."""
    card = _load(token)
    if verified_member_id(card.id) != card.member_id:
        return redirect(f"{VERIFY_PATH}?next={quote(url_for('.full', token=token))}")
    return _page(card, token, full=True)


@bp.post("/m/<token>/confirm")
def confirm(token: str) -> Any:
    """Confirm the card (first time: with the consent to electronic confirmation)."""
    card = _load(token)
    card_id, member_id = card.id, card.member_id
    if not consent.has_consented(member_id) and request.form.get("consent") != "yes":
        return _page(card, token, status=400,
                     error="请先阅读上方说明，勾选“我已阅读并同意”后再点确认")
    identity = _identity(card_id, member_id)
    try:
        run_unit(lambda: workflow.confirm(
            card_id, member_id, channel="web", identity=identity, ip=request.remote_addr,
            user_agent=request.user_agent.string))
    except StaleCard as exc:
        return _updated(exc.card)
    except InvalidTransition:
        pass  # disputed meanwhile, or the campaign closed: the card page says which
    return redirect(url_for(".card", token=token), code=303)


@bp.route("/m/<token>/dispute", methods=["GET", "POST"])
def dispute(token: str) -> Any:
    """Show the form for saying which items are wrong, and take it."""
    card = _load(token)
    cm = membership(card.campaign_id, card.member_id)
    if cm.card_id != card.id or cm.state not in ANSWERABLE or cm.campaign.status != OPEN:
        return redirect(url_for(".card", token=token), code=303)
    items = card_content(card)["items"]
    if request.method == "GET":
        _opened(card)
        return _dispute_form(card, token, items)
    proposed, note, errors = dispute_form.parse(request.form, items)
    if errors:
        return _dispute_form(card, token, items, errors=errors), 400
    card_id, member_id = card.id, card.member_id
    identity = _identity(card_id, member_id)
    try:
        run_unit(lambda: corrections.dispute(
            card_id, member_id, proposed=proposed, note=note, channel="web", identity=identity,
            ip=request.remote_addr, user_agent=request.user_agent.string))
    except StaleCard as exc:
        return _updated(exc.card)
    except InvalidTransition:
        pass
    return redirect(url_for(".card", token=token), code=303)


@bp.get("/s/<slug>")
@bp.get("/s/<slug>/dispute")
def short(slug: str) -> Any:
    """Open the card a short link names (the SMS carries this one)."""
    address = request.remote_addr or "-"
    if shortlinks.blocked(address):
        return render_template(
            "member/notice.html", kind="wait", title="尝试次数过多，请稍后再试",
            hint="请过十分钟后再点开短信中的链接；如仍打不开，请联系您所在党支部。"), 429
    card = shortlinks.find_card(slug)
    if card is None:
        run_unit(partial(shortlinks.miss, address))
        return render_template(
            "member/notice.html", kind="warn", title="链接无效",
            hint="请核对短信中的链接是否完整，或以最新收到的短信为准。"), 404
    if shortlinks.expired(card):
        return _expired()
    target = ".dispute" if request.path.endswith("/dispute") else ".card"
    return redirect(url_for(target, token=card_token(card)))


# ---- helpers ---------------------------------------------------------------------------------

class LinkRefused(ServiceError):
    """A member link that is expired (410) or forged, altered or unknown (404)."""


def _load(token: str) -> Card:
    max_age = int(current_app.config["MEMBER_LINK_MAX_AGE"])
    # Told apart first so the page can say which; load_card_token then finds the card.
    signed = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)
    try:
        signed.loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkRefused("链接已过期") from exc
    except BadSignature:
        pass  # load_card_token refuses it below
    try:
        return load_card_token(token, max_age=max_age)
    except ServiceError as exc:
        raise LinkRefused("链接无效") from exc


def _expired() -> tuple[str, int]:
    return render_template("member/notice.html", kind="warn", title="链接已过期"), 410


def _identity(card_id: int, member_id: int) -> str:
    """Return how the person acting was identified: the session's proof, else the link."""
    if verified_member_id(card_id) == member_id:
        return verified_how(card_id) or "signed_link"
    return "signed_link"


def _updated(new_card: Card) -> Response:
    return redirect(url_for(".card", token=card_token(new_card), updated=1), code=303)


def _opened(card: Card) -> None:
    card_id, ip, ua = card.id, request.remote_addr, request.user_agent.string
    run_unit(lambda: card_status.record_opened(db.session.get(Card, card_id), ip=ip,
                                               user_agent=ua))


def _page(
    card: Card, token: str, *, full: bool = False, error: str | None = None, status: int = 200,
) -> Any:
    """Render what the member should see for ``card`` now."""
    cm = membership(card.campaign_id, card.member_id)
    if cm.card_id != card.id:
        if cm.card is None:
            raise ServiceError("该确认卡已失效，请以最新收到的信息为准")
        return _updated(cm.card)
    items = card_content(card)["items"]
    campaign = cm.campaign
    if cm.state in SETTLED_STATES:
        return render_template("member/done.html", settled=card_status.settled(card),
                               rows=card_view.rows(items), name=items["name"]), status
    if campaign.status != OPEN:
        return render_template(
            "member/notice.html", kind="info", title=f"“{campaign.name}”已结束",
            hint="本次党员信息确认工作已结束，无需再操作。如有疑问，请联系您所在党支部。"), 410
    if cm.state not in ANSWERABLE and cm.state != DISPUTED:
        raise ServiceError("您的信息尚未提交确认，请等待党支部通知")
    _opened(card)
    if cm.state == DISPUTED:
        request_ = card_status.open_request(cm)
        proposed = corrections.proposed_values(request_) if request_ else {}
        return render_template(
            "member/waiting.html", name=items["name"], pending_request=request_,
            proposed=card_view.proposed_rows(proposed), rows=card_view.rows(items)), status
    if full:
        member_id = card.member_id
        run_unit(lambda: audit.record(
            "member.view_full_id", actor=f"member:{member_id}", target_type="member",
            target_id=member_id, ip=request.remote_addr, user_agent=request.user_agent.string,
            card_id=card.id, how=verified_how(card.id), page="card"))
    lines = card_view.changed_first(items, _previous_items(card), full=full)
    return render_template(
        "member/card.html", token=token, name=items["name"], campaign=campaign,
        rows=lines, changed=sum(1 for r in lines if r.old is not None), full=full, error=error,
        updated=bool(request.args.get("updated")), answer=card_status.last_answer(cm),
        needs_consent=not consent.has_consented(card.member_id),
        consent_text=consent.CONSENT_V1), status


def _previous_items(card: Card) -> dict[str, Any] | None:
    # The card this one replaced in the same campaign holds the values the member last saw.
    before = db.session.scalar(
        select(Card).where(Card.member_id == card.member_id, Card.campaign_id == card.campaign_id,
                           Card.id < card.id).order_by(Card.id.desc()).limit(1))
    return card_content(before)["items"] if before is not None else None


def _dispute_form(card: Card, token: str, items: dict[str, Any], *,
                  errors: list[str] | None = None) -> str:
    form = request.form if request.method == "POST" else None
    checked = set(request.form.getlist("field")) if form is not None else set()
    return render_template(
        "member/dispute.html", token=token, name=items["name"],
        inputs=dispute_form.inputs(items, form), checked=checked, errors=errors or [],
        note=request.form.get("note", "") if form is not None else "")
