"""Sign-in throttling: lock an account after repeated failures, and slow a noisy address.

Per account: ``AdminUser.failed_logins`` counts failures in a row; reaching
ADMIN_LOGIN_MAX_FAILURES sets ``locked_until`` ADMIN_LOGIN_LOCK_MINUTES ahead. Per address:
the audit log's ``login.failed`` rows from the address within ADMIN_IP_WINDOW_MINUTES (no
extra table; failed sign-ins are rare enough that the query is cheap).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from service.clock import now_utc
from service.extensions import db
from service.models import AdminUser, AuditLog

FAILED = "login.failed"


def is_locked(user: AdminUser) -> bool:
    """Return whether the account is inside a lock period."""
    return user.locked_until is not None and user.locked_until > now_utc()


def note_failure(user: AdminUser) -> bool:
    """Count a failed password for ``user``; return True when this failure locks the account."""
    if is_locked(user):
        return False  # failures during a lock do not stretch it: the owner gets back in on time
    if user.locked_until is not None and user.locked_until <= now_utc():
        user.locked_until = None  # the previous lock ran out: a fresh series of attempts
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= current_app.config["ADMIN_LOGIN_MAX_FAILURES"]:
        minutes = current_app.config["ADMIN_LOGIN_LOCK_MINUTES"]
        user.locked_until = now_utc() + timedelta(minutes=minutes)
        user.failed_logins = 0
        return True
    return False


def note_success(user: AdminUser) -> None:
    """Clear the failure count after a good sign-in."""
    user.failed_logins = 0
    user.locked_until = None


def unlock(user: AdminUser) -> None:
    """Lift a lock by hand (``flask users unlock``)."""
    note_success(user)


def ip_throttled(ip: str | None) -> bool:
    """Return whether ``ip`` has failed too often recently, across all accounts."""
    if not ip:
        return False
    since = now_utc() - timedelta(minutes=current_app.config["ADMIN_IP_WINDOW_MINUTES"])
    failures = db.session.scalar(
        select(func.count()).select_from(AuditLog)
        .where(AuditLog.action == FAILED, AuditLog.at >= since, AuditLog.ip == ip)
    )
    return (failures or 0) >= current_app.config["ADMIN_IP_MAX_FAILURES"]
