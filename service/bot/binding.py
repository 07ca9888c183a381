"""Binding a member to a WeChat openid, identity checks, WeChat OAuth: the member-side doors.

The routes live in small modules, each a blueprint nested under this one: /bind/... (binding),
/verify (SMS code for the card page), /wechat/oauth/... (snsapi_base OAuth).
"""

from __future__ import annotations

from flask import Blueprint

from service.bot import bind_pages, oauth, verify_pages

bp = Blueprint("binding", __name__)
bp.register_blueprint(bind_pages.bp)
bp.register_blueprint(verify_pages.bp)
bp.register_blueprint(oauth.bp)
