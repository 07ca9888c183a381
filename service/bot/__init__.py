"""Member-facing doors: WeChat callback, SMS inbound, the card page, binding, mini-program API."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every member-facing blueprint on ``app``."""
    from service.bot import binding, card_pages, mini_api, sms_inbound, wechat_callback
    from service.extensions import csrf

    for module in (wechat_callback, sms_inbound, card_pages, binding, mini_api):
        app.register_blueprint(module.bp)
    # No CSRF token where the caller is no browser form: the WeChat callback (signed by
    # WeChat), the SMS pushes (addressed by the push token) and the mini-program API (our
    # bearer token in a header, which a cross-site form cannot set).
    for module in (wechat_callback, sms_inbound, mini_api):
        csrf.exempt(module.bp)
