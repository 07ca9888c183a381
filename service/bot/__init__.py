"""Member-facing doors, one package each, thin views only; this module registers them.

- ``wechat/``: the official account's callback and its wire format, OA commands, web OAuth
- ``sms/``: the Aliyun and Tencent push endpoints (receipts, replies) and their push bodies
- ``pages/``: the H5 pages (card, dispute form, short links, /verify, /bind)
- ``mini/``: the mini-program JSON API and its OpenAPI document

A door reads the request, calls inbound, identity or campaign, and owns the one transaction.
What several doors share lives below bot (identity, inbound, links); nothing imports bot back.
"""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every member-facing blueprint on ``app``."""
    from service.bot.mini import api
    from service.bot.pages import bind, card, verify
    from service.bot.sms import endpoints
    from service.bot.wechat import callback, oauth
    from service.extensions import csrf

    for module in (callback, endpoints, card, bind, verify, oauth, api):
        app.register_blueprint(module.bp)
    # No CSRF token where the caller is no browser form: the WeChat callback (signed by
    # WeChat), the SMS pushes (addressed by the push token) and the mini-program API (our
    # bearer token in a header, which a cross-site form cannot set).
    for module in (callback, endpoints, api):
        csrf.exempt(module.bp)
