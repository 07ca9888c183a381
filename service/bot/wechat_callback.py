"""WeChat official-account callback at /wechat/callback (stub: built by the inbound work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("wechat_callback", __name__)
