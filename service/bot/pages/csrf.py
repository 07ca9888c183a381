"""CSRF protection for HTML forms: one random token per browser session, sent back in a field.

Generic: any blueprint may use it. Templates put ``{{ csrf_field() }}`` in each POST form
(register the helper with ``install(bp)``); views call ``check()`` before acting. The token
stays the same for the session, so a double submit or a second tab is not refused.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, request, session
from markupsafe import Markup, escape

from service.errors import ServiceError

FIELD = "csrf_token"
SESSION_KEY = "_csrf_token"


class CsrfRefused(ServiceError):
    """The form did not carry this session's token (forged, or the session expired)."""

    code = 400


def token() -> str:
    """Return this session's token, making one on first use."""
    value = session.get(SESSION_KEY)
    if not isinstance(value, str) or not value:
        value = secrets.token_urlsafe(32)
        session[SESSION_KEY] = value
    return value


def field() -> Markup:
    """Return the hidden input carrying the token."""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{escape(token())}">')


def check() -> None:
    """Refuse the request unless its form carries this session's token."""
    expected = session.get(SESSION_KEY)
    sent = request.form.get(FIELD, "")
    if not isinstance(expected, str) or not expected or not hmac.compare_digest(
        expected.encode(), sent.encode()
    ):
        raise CsrfRefused("页面已过期或来源不明，请返回后重新打开链接再操作")


def install(bp: Blueprint) -> None:
    """Make ``csrf_field()`` available in the templates ``bp``'s views render."""
    bp.context_processor(lambda: {"csrf_field": field})
