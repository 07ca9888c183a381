"""CSRF protection of the admin web: one random token per session, checked on every write.

Every POST/PUT/PATCH/DELETE to ``/admin/…`` must carry the session's token in the form field
``csrf_token`` or the header ``X-CSRF-Token``; templates get ``csrf_token()`` (forms use
``<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">``, and ``admin/base.html``
puts it in ``<meta name="csrf-token">`` for scripts). The token is replaced at sign-in
(``sessions.start`` clears the session). SameSite=Lax cookies are the second line.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from flask import Flask, jsonify, render_template, request, session

from service.admin.auth import is_admin_request, wants_json

KEY = "csrf_token"
HEADER = "X-CSRF-Token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
REFUSED = "页面已过期或请求来源无法核实，请刷新页面后重试"


def csrf_token() -> str:
    """Return this session's token, creating it on first use."""
    token = session.get(KEY)
    if not isinstance(token, str):
        token = session[KEY] = secrets.token_urlsafe(32)
    return token


def _check() -> Any:
    if request.method not in UNSAFE or not is_admin_request():
        return None
    expected = session.get(KEY)
    sent = request.headers.get(HEADER) or request.form.get(KEY) or ""
    if isinstance(expected, str) and hmac.compare_digest(expected.encode(), sent.encode()):
        return None
    if wants_json():
        return jsonify({"code": 400, "message": REFUSED}), 400
    return render_template("error.html", code=400, message=REFUSED), 400


def init_app(app: Flask) -> None:
    """Check the token before every admin write; offer ``csrf_token()`` to templates."""
    app.before_request(_check)
    app.jinja_env.globals["csrf_token"] = csrf_token
