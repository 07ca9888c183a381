"""Member-facing doors: WeChat callback, SMS inbound, the card page, binding, mini-program API."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every member-facing blueprint on ``app``."""
    from service.bot import binding, card_pages, mini_api, sms_inbound, wechat_callback

    for module in (wechat_callback, sms_inbound, card_pages, binding, mini_api):
        app.register_blueprint(module.bp)
