"""CSRF protection of every form: Flask-WTF's CSRFProtect, app-wide, one token per session.

Forms carry ``{{ csrf_token() }}`` in a hidden field named ``csrf_token``; scripts send it in
the ``X-CSRF-Token`` header (``admin/base.html`` puts it in ``<meta name="csrf-token">``). The
doors that are no browser form are exempted where their blueprints are registered
(``service.bot``). A refusal is rendered by ``service.errors`` in Chinese.
"""

from __future__ import annotations

from flask import Flask, current_app, g

from service.extensions import csrf


def init_app(app: Flask) -> None:
    """Check the token on every write, after the hooks registered so far (who is signed in)."""
    app.before_request(_fresh_token)
    csrf.init_app(app)


def _fresh_token() -> None:
    # Flask-WTF keeps the signed token in ``g`` for the rest of the request; when several
    # requests share one app context (tests, a request made from a CLI command), the next
    # request would render the previous browser's token. Each request signs its own.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    g.pop("csrf_valid", None)
