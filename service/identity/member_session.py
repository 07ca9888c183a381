"""What the member's browser session proves: a WeChat openid, and which member was verified.

A member is "verified" in a session after WeChat OAuth for a bound openid or a one-time SMS
code to the phone on record; only then may a page show their full ID number. The proof
holds for the one card it was made for, for ``MEMBER_VERIFIED_MINUTES`` (a phone left
unlocked, a browser shared), and says how it was made (the evidence's ``identity``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app, session

from service.clock import now_utc

VERIFIED_KEY = "member_verified"  # {"id": member_id, "card": card_id, "how": identity, "at": iso}
OPENID_KEY = "wechat_openid"  # {channel: openid}


def mark_verified(member_id: int, how: str, card_id: int | None) -> None:
    """Record that the session's holder proved to be ``member_id`` (``how``: identity), for
    ``card_id`` only (None: no card is waiting, so the proof shows nothing)."""
    session[VERIFIED_KEY] = {"id": member_id, "card": card_id, "how": how,
                             "at": now_utc().isoformat()}


def _proof(card_id: int) -> dict[str, Any] | None:
    data = session.get(VERIFIED_KEY)
    if not isinstance(data, dict) or "id" not in data or data.get("card") != card_id:
        return None
    try:
        at = datetime.fromisoformat(str(data["at"]))
    except (KeyError, ValueError):
        return None
    minutes = int(current_app.config["MEMBER_VERIFIED_MINUTES"])
    return data if timedelta(0) <= now_utc() - at <= timedelta(minutes=minutes) else None


def verified_member_id(card_id: int) -> int | None:
    """Return the member this session lately proved to be for ``card_id``, or None."""
    data = _proof(card_id)
    return int(data["id"]) if data is not None else None


def verified_how(card_id: int) -> str | None:
    """Return how the session's member was verified for ``card_id`` (bound_openid, sms_code)."""
    data = _proof(card_id)
    return str(data["how"]) if data is not None and "how" in data else None


def set_openid(channel: str, openid: str) -> None:
    """Remember the WeChat openid OAuth gave this browser on ``channel``."""
    session[OPENID_KEY] = {**session.get(OPENID_KEY, {}), channel: openid}


def openid(channel: str) -> str | None:
    """Return the openid OAuth gave this browser on ``channel``, or None."""
    value = session.get(OPENID_KEY, {}).get(channel)
    return str(value) if value else None
