"""What the member's browser session proves: a WeChat openid, and which member was verified.

A member is "verified" in a session after WeChat OAuth for a bound openid or a one-time SMS
code to the phone on record; only then may a page show their full ID number. The proof
expires with the session and says how it was made (the evidence's ``identity``).
"""

from __future__ import annotations

from flask import session

from service.clock import now_utc

VERIFIED_KEY = "member_verified"  # {"id": member_id, "how": identity, "at": iso time}
OPENID_KEY = "wechat_openid"  # {channel: openid}


def mark_verified(member_id: int, how: str) -> None:
    """Record in the session that its holder proved to be ``member_id`` (``how``: identity)."""
    session[VERIFIED_KEY] = {"id": member_id, "how": how, "at": now_utc().isoformat()}


def verified_member_id() -> int | None:
    """Return the member this session proved to be, or None."""
    data = session.get(VERIFIED_KEY)
    return int(data["id"]) if isinstance(data, dict) and "id" in data else None


def verified_how() -> str | None:
    """Return how the session's member was verified (bound_openid, sms_code), or None."""
    data = session.get(VERIFIED_KEY)
    return str(data["how"]) if isinstance(data, dict) and "how" in data else None


def set_openid(channel: str, openid: str) -> None:
    """Remember the WeChat openid OAuth gave this browser on ``channel``."""
    session[OPENID_KEY] = {**session.get(OPENID_KEY, {}), channel: openid}


def openid(channel: str) -> str | None:
    """Return the openid OAuth gave this browser on ``channel``, or None."""
    value = session.get(OPENID_KEY, {}).get(channel)
    return str(value) if value else None
