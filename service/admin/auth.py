"""Admin sign-in and sign-out, who is signed in, and the login/role guards of admin views.

For other admin modules:

- ``signed_in_user(action)`` → the signed-in ``AdminUser`` (401 without one), refusing (403)
  a role that may not do ``action`` (a key of ``scope.ACTIONS``); ``current_user()`` → the
  user or None, for code that must work signed out.
- ``requester()`` → who acts in this request (actor, address, browser) as plain data for use
  cases; ``requester().audit(action, **detail)`` adds an audit row in the caller's unit.
- ``@login_required`` and ``@roles_required(*roles)``: JSON callers get 401/403 JSON, pages get
  a redirect to the sign-in page (401) or the error page (403). Every ``/admin/…`` path other
  than the sign-in page already requires a signed-in user (``init_app``), the decorators are
  the explicit, per-view statement and add the role check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial, wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from service import audit as audit_log
from service.admin import scope, sessions, throttle
from service.errors import Forbidden, json_error, wants_json
from service.extensions import db
from service.models import AdminSession, AdminUser
from service.models.admin_user import ROLES
from service.unit_of_work import run_unit

bp = Blueprint("admin_auth", __name__, url_prefix="/admin")
F = TypeVar("F", bound=Callable[..., Any])

# One message for every refusal, so the page never tells whether a user name exists.
LOGIN_FAILED = "用户名或密码错误。连续输错多次后账号将暂时锁定，请稍后再试或联系上级管理员。"
PUBLIC_ENDPOINTS = {"admin_auth.login"}
_dummy_hash: list[str] = []


def is_admin_request() -> bool:
    """Return whether this request is for the admin web (``/admin`` and below)."""
    return request.path == "/admin" or request.path.startswith("/admin/")


def current_user() -> AdminUser | None:
    """Return the signed-in admin user of this request, or None."""
    return g.get("admin_user")


def signed_in_user(action: str | None = None) -> AdminUser:
    """Return the signed-in admin user; refuse (403) a role that may not do ``action``."""
    user = current_user()
    if user is None:
        abort(401)
    if action is not None:
        scope.require(user, action)
    return user


@dataclass(frozen=True)
class Requester:
    """Who acts in a request, as the audit log records it: plain data a use case can take."""

    actor: str
    ip: str | None
    user_agent: str | None

    def audit(self, action: str, *, target_type: str | None = None, target_id: object = None,
              **detail: Any) -> None:
        """Add an audit row of this requester's action (committed with the caller's unit)."""
        audit_log.record(action, actor=self.actor, target_type=target_type,
                         target_id=target_id, ip=self.ip, user_agent=self.user_agent, **detail)


def requester(actor: str | None = None) -> Requester:
    """Return who acts in this request: the signed-in user (or ``actor``), address, browser."""
    name = actor or f"admin:{signed_in_user().id}"
    return Requester(name, sessions.client_ip(), request.user_agent.string)


def _unauthorized() -> Any:
    if wants_json():
        return json_error(401, "请先登录")
    return redirect(url_for("admin_auth.login", next=request.full_path.rstrip("?")))


def login_required(view: F) -> F:
    """Refuse the view to callers who are not signed in."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return _unauthorized()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def roles_required(*roles: str) -> Callable[[F], F]:
    """Refuse the view to callers not signed in (401) or of another role (403)."""
    unknown = set(roles) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return _unauthorized()
            if user.role not in roles:
                raise Forbidden("您的角色无权访问此页面或进行此操作")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def _load_user() -> Any:
    """Before every admin request: find the session's user; refuse anonymous callers."""
    g.admin_session = None
    g.admin_user = None
    if not is_admin_request():
        return None
    row = sessions.lookup()
    if row is not None:
        g.admin_session, g.admin_user = row, row.user
    if g.admin_user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        return _unauthorized()
    return None


def _no_store(response: Response) -> Response:
    # Admin pages hold personal data: keep them out of shared caches and the back-button cache.
    if is_admin_request():
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    """Install the per-request user lookup and the response headers of admin pages."""
    app.before_request(_load_user)
    app.after_request(_no_store)


def _safe_next(target: str | None) -> str:
    parts = urlsplit(target or "")
    if target and not parts.scheme and not parts.netloc and parts.path.startswith("/admin"):
        return target
    return url_for("admin_dashboard.index")


def _password_matches(user: AdminUser | None, password: str) -> bool:
    if user is None:  # spend the same time as a real check: no user-name probing by timing
        if not _dummy_hash:
            _dummy_hash.append(generate_password_hash("not-a-password"))
        check_password_hash(_dummy_hash[0], password)
        return False
    return user.check_password(password)


def sign_in(username: str, password: str, token: str, *, ip: str | None,
            user_agent: str | None) -> int | None:
    """Check a sign-in and record it (limits, audit); on success open the session ``token``
    names and return the user's id, else None."""
    user = db.session.scalar(select(AdminUser).where(AdminUser.username == username))
    reason = None
    if throttle.ip_throttled(ip):
        reason = "ip_throttled"
    elif not _password_matches(user, password):
        reason = "bad_password" if user is not None else "unknown_user"
    elif user is None or not user.is_active:
        reason = "inactive"
    elif throttle.is_locked(user):
        reason = "locked"
    if reason is not None:
        locked_now = False
        if user is not None and reason == "bad_password":
            locked_now = throttle.note_failure(user)
        throttle.note_ip_failure(ip)
        audit_log.record(
            throttle.FAILED, actor=f"admin:{user.id}" if user else "anonymous",
            target_type="admin_user", target_id=user.id if user else None, ip=ip,
            user_agent=user_agent, username=username[:64], reason=reason, locked=locked_now,
        )
        return None
    assert user is not None
    throttle.note_success(user)
    sessions.start(user, token, ip=ip, user_agent=user_agent)
    audit_log.record("login", actor=f"admin:{user.id}", target_type="admin_user",
                     target_id=user.id, ip=ip, user_agent=user_agent)
    return user.id


def sign_out(session_id: int, who: Requester) -> None:
    """End the server-side session ``session_id`` and record the sign-out."""
    row = db.session.get(AdminSession, session_id)
    if row is not None:
        sessions.end(row)
        who.audit("logout", target_type="admin_user", target_id=row.user_id)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Show the sign-in form; sign in with user name and password."""
    if request.method == "GET":
        if current_user() is not None:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("admin/login.html", next=request.args.get("next", ""))
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    token = sessions.new_token()
    signed_in = run_unit(partial(sign_in, username, password, token, ip=sessions.client_ip(),
                                 user_agent=request.user_agent.string))
    if signed_in is None:
        return render_template("admin/login.html", error=LOGIN_FAILED, username=username,
                               next=request.form.get("next", "")), 401
    sessions.remember(token)
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
@login_required
def logout() -> Any:
    """Sign out: end the server-side session and clear the cookie."""
    run_unit(partial(sign_out, g.admin_session.id, requester()))
    sessions.forget()
    return redirect(url_for("admin_auth.login"))
