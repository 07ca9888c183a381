"""WeChat official-account callback at /wechat/callback: verify, record once, answer at once.

GET is WeChat's server check (echo ``echostr`` when the signature is ours). POST carries a
message or event: the signature is checked, the safe-mode envelope opened (required whenever
WECHAT_AES_KEY is set), the XML read safely, and the push recorded in the inbox under
WeChat's dedupe key in the same transaction that acts on it, so WeChat's retries of a slow
answer change nothing twice. Nothing here calls out over the network: anything to send goes
to the outbox, and the passive reply is the only answer.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from flask import Blueprint, Response, abort, current_app, request

from service.bot.wechat import commands
from service.bot.wechat.wire import (
    Account,
    Refused,
    check_signature,
    open_envelope,
    render_reply,
    safe_text,
    to_push,
)
from service.inbound import inbox
from service.inbound.push_guard import read_body
from service.models.inbox import WECHAT_OA
from service.unit_of_work import run_unit

bp = Blueprint("wechat_callback", __name__)
log = logging.getLogger(__name__)


def _account() -> Account:
    config = current_app.config
    if not config.get("WECHAT_TOKEN"):
        abort(404)  # the callback is closed until the account's Token is configured
    return Account(str(config["WECHAT_TOKEN"]), config.get("WECHAT_AES_KEY") or None,
                   config.get("WECHAT_APPID") or None)


@bp.get("/wechat/callback")
def verify() -> Any:
    """Answer WeChat's server-configuration check."""
    account = _account()
    try:
        check_signature(account, request.args)
    except Refused as refused:
        return _refuse(refused)
    return Response(request.args.get("echostr", ""), mimetype="text/plain")


@bp.post("/wechat/callback")
def receive() -> Any:
    """Take one message or event and answer with a passive reply (or "success")."""
    account = _account()
    args = request.args
    encrypted = args.get("encrypt_type", "").lower() == "aes"
    try:
        check_signature(account, args, float(current_app.config.get(
            "WECHAT_MAX_CLOCK_SKEW", 300)))
        body = safe_text(read_body(int(current_app.config.get(
            "WECHAT_CALLBACK_MAX_BYTES", 64 * 1024))))
        if account.aes_key and not encrypted:
            raise Refused(403, "plaintext push while safe mode is configured")
        xml = open_envelope(account, body, args) if encrypted else body
        push = to_push(xml)
    except Refused as refused:
        return _refuse(refused)
    row, outcome = run_unit(partial(
        inbox.record_once, WECHAT_OA, push.dedupe_key, kind=push.kind, raw=push.raw,
        sender_bidx=push.openid, handle=partial(commands.handle, push)))
    reply = outcome.reply if outcome else inbox.earlier_reply(row)
    text = render_reply(account, push, reply, encrypted=encrypted,
                        nonce=args.get("nonce", ""), timestamp=args.get("timestamp", ""))
    return Response(text, mimetype="application/xml" if reply else "text/plain")


def _refuse(refused: Refused) -> Any:
    log.warning("wechat callback refused: %s", refused.reason)
    return Response(refused.reason, status=refused.status, mimetype="text/plain")
