"""Admin sign-in and sign-out, who is signed in, and the login/role guards of admin views.

For other admin modules:

- ``current_user()`` → the signed-in ``AdminUser`` or None; ``actor()`` → ``"admin:<id>"``.
- ``@login_required`` and ``@roles_required(*roles)``: JSON callers get 401/403 JSON, pages get
  a redirect to the sign-in page (401) or the error page (403). Every ``/admin/…`` path other
  than the sign-in page already requires a signed-in user (``init_app``), the decorators are
  the explicit, per-view statement and add the role check.
- ``audit(action, **detail)``: an audit row with this user, address and browser (committed by
  the caller's transaction).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from service import audit as audit_log
from service.admin import sessions, throttle
from service.errors import Forbidden
from service.extensions import db
from service.models import AdminUser
from service.models.admin_user import ROLES

bp = Blueprint("admin_auth", __name__, url_prefix="/admin")
F = TypeVar("F", bound=Callable[..., Any])

# One message for every refusal, so the page never tells whether a user name exists.
LOGIN_FAILED = "用户名或密码错误。连续输错多次后账号将暂时锁定，请稍后再试或联系上级管理员。"
PUBLIC_ENDPOINTS = {"admin_auth.login"}
_dummy_hash: list[str] = []


def is_admin_request() -> bool:
    """Return whether this request is for the admin web (``/admin`` and below)."""
    return request.path == "/admin" or request.path.startswith("/admin/")


def wants_json() -> bool:
    """Return whether the caller expects JSON rather than a page."""
    if request.path.startswith("/admin/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def current_user() -> AdminUser | None:
    """Return the signed-in admin user of this request, or None."""
    return g.get("admin_user")


def actor() -> str:
    """Return the audit/ledger actor of the signed-in user, ``"admin:<id>"``."""
    user = current_user()
    assert user is not None, "actor() outside a signed-in request"
    return f"admin:{user.id}"


def audit(action: str, *, target_type: str | None = None, target_id: object = None,
          actor_name: str | None = None, **detail: Any) -> None:
    """Record an audited action of this request's user (or ``actor_name``)."""
    audit_log.record(
        action, actor=actor_name or actor(), target_type=target_type, target_id=target_id,
        ip=sessions.client_ip(), user_agent=request.user_agent.string, **detail,
    )


def _unauthorized() -> Any:
    if wants_json():
        return jsonify({"code": 401, "message": "请先登录"}), 401
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


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Show the sign-in form; sign in with user name and password."""
    if request.method == "GET":
        if current_user() is not None:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("admin/login.html", next=request.args.get("next", ""))
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    ip = sessions.client_ip()
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
        audit_log.record(
            throttle.FAILED, actor=f"admin:{user.id}" if user else "anonymous",
            target_type="admin_user", target_id=user.id if user else None, ip=ip,
            user_agent=request.user_agent.string, username=username[:64], reason=reason,
            locked=locked_now,
        )
        db.session.commit()
        return render_template("admin/login.html", error=LOGIN_FAILED, username=username,
                               next=request.form.get("next", "")), 401
    assert user is not None
    throttle.note_success(user)
    sessions.start(user)
    audit_log.record("login", actor=f"admin:{user.id}", target_type="admin_user",
                     target_id=user.id, ip=ip, user_agent=request.user_agent.string)
    db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
@login_required
def logout() -> Any:
    """Sign out: end the server-side session and clear the cookie."""
    audit("logout", target_type="admin_user", target_id=current_user().id)  # type: ignore[union-attr]
    sessions.end(g.admin_session)
    db.session.commit()
    return redirect(url_for("admin_auth.login"))
