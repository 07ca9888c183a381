"""Sign-in limits of the admin web, kept in the one throttle (service.throttle).

Per account ("admin-login:u<id>"): ADMIN_LOGIN_MAX_FAILURES wrong passwords in a row lock it
for ADMIN_LOGIN_LOCK_MINUTES. Per address ("admin-login-ip:<ip>"): ADMIN_IP_MAX_FAILURES failed
sign-ins of any kind within ADMIN_IP_WINDOW_MINUTES refuse the address for as long.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from service import throttle
from service.models import AdminUser

FAILED = "login.failed"


def account_key(user_id: int) -> str:
    """Return the throttle key of an account's failed sign-ins."""
    return f"admin-login:u{user_id}"


def address_key(ip: str) -> str:
    """Return the throttle key of an address's failed sign-ins."""
    return f"admin-login-ip:{ip}"


def _account_limit() -> throttle.Limit:
    config = current_app.config
    return throttle.Limit(failures=int(config["ADMIN_LOGIN_MAX_FAILURES"]), window=None,
                          lock=timedelta(minutes=int(config["ADMIN_LOGIN_LOCK_MINUTES"])))


def _address_limit() -> throttle.Limit:
    config = current_app.config
    window = timedelta(minutes=int(config["ADMIN_IP_WINDOW_MINUTES"]))
    return throttle.Limit(failures=int(config["ADMIN_IP_MAX_FAILURES"]), window=window,
                          lock=window)


def locked_until(user: AdminUser) -> datetime | None:
    """Return when the account's lock ends, or None when it is not locked."""
    return throttle.locked_until(account_key(user.id))


def is_locked(user: AdminUser) -> bool:
    """Return whether the account is inside a lock period."""
    return locked_until(user) is not None


def note_failure(user: AdminUser) -> bool:
    """Count a wrong password for ``user``; return True when this failure locks the account."""
    if is_locked(user):
        return False  # failures during a lock do not stretch it: the owner gets back in on time
    return throttle.fail(account_key(user.id), _account_limit()) == 0


def note_success(user: AdminUser) -> None:
    """Clear the failure count after a good sign-in."""
    throttle.clear(account_key(user.id))


def unlock(user: AdminUser) -> None:
    """Lift a lock by hand (``flask users unlock``)."""
    throttle.clear(account_key(user.id))


def ip_throttled(ip: str | None) -> bool:
    """Return whether ``ip`` has failed too often recently, across all accounts."""
    return bool(ip) and throttle.locked_until(address_key(ip or "")) is not None


def note_ip_failure(ip: str | None) -> None:
    """Count a failed sign-in (of any kind) from ``ip``."""
    if ip:
        throttle.fail(address_key(ip), _address_limit())
