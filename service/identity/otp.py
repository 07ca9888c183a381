"""One-time SMS codes to the member's phone on record: issue through the outbox, check once.

Only a keyed hash of each code is stored (HMAC with the data key and a per-code salt, so a
copied table cannot be brute-forced offline). The outbox row that carries the SMS holds the
code AES-GCM encrypted, because the dispatcher composes the text at send time; a code that
has expired by then is not sent at all. Limits, all in the database: one send a minute and
``OTP_MAX_PER_HOUR`` an hour per phone, ``OTP_MAX_FAILURES`` wrong entries per member, then
a lock of ``OTP_LOCK_SECONDS``. Nothing here commits.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from service import throttle
from service.clock import now_utc
from service.crypto import blind_index, blind_indexes
from service.errors import Conflict, ServiceError
from service.extensions import db
from service.models import Member, OtpCode
from service.models.outbox import OTP
from service.notify import outbox, router
from service.notify.messages import otp_payload
from service.records.phones import mask_phone

_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


class NoSmsChannel(ServiceError):
    """No SMS (or console) channel is configured: codes cannot be sent at all."""

    code = 503


@dataclass(frozen=True)
class Issued:
    """A code on its way: where it goes (masked) and until when it is good."""

    code_id: int
    masked_phone: str
    expires_at: datetime


@dataclass(frozen=True)
class Checked:
    """The outcome of entering a code; ``message`` is the Chinese refusal when not ``ok``."""

    ok: bool
    message: str = ""
    code_id: int | None = None


def member_key(member_id: int) -> str:
    """Return the throttle key of a member's code entries."""
    return f"otp:m{member_id}"


def _setting(name: str) -> int:
    return int(current_app.config[name])


def failure_limit() -> throttle.Limit:
    """Return the limit on wrong codes (and binding details) of a member or an openid."""
    lock = timedelta(seconds=_setting("OTP_LOCK_SECONDS"))
    return throttle.Limit(failures=_setting("OTP_MAX_FAILURES"), lock=lock, window=lock)


def _hash(salt: str, code: str) -> str:
    digest = blind_index(f"{salt}:{code}", "otp")
    assert digest is not None
    return digest


def _hashes(salt: str, code: str) -> list[str]:
    # A code sent just before the data key was rotated is hashed under the old key.
    return blind_indexes(f"{salt}:{code}", "otp")


def sms_channel() -> str | None:
    """Return the channel codes go out on: the first SMS (or demo console) rung configured."""
    return next((c for c in router.ladder() if c in router.SMS_CHANNELS or c == "console"), None)


def issue(member: Member, *, purpose: str, context: str) -> Issued:
    """Make a new code for ``member`` and queue the SMS in the caller's transaction.

    :raises Conflict: no mobile on record. :raises NoSmsChannel: nothing to send SMS with.
    :raises throttle.Throttled: locked, or asking again too soon or too often.
    """
    if not member.mobile or not member.mobile_bidx:
        raise Conflict("您没有登记手机号码，无法发送验证码，请联系所在党支部")
    channel = sms_channel()
    if channel is None:
        raise NoSmsChannel("短信通道尚未开通，暂时无法发送验证码，请联系所在党支部")
    until = throttle.locked_until(member_key(member.id))
    if until is not None:
        raise throttle.Throttled(throttle.lock_message(until))
    now = now_utc()
    # Codes sent before the data key was rotated carry the old key's index of the phone.
    phone_indexes = blind_indexes(member.mobile, "mobile")
    last = db.session.scalar(select(func.max(OtpCode.created_at))
                             .where(OtpCode.phone_bidx.in_(phone_indexes)))
    wait = _setting("OTP_RESEND_SECONDS") - (now - last).total_seconds() if last else 0
    if wait > 0:
        raise throttle.Throttled(f"验证码已发送，请{int(wait) + 1}秒后再重新获取")
    sent = db.session.scalar(select(func.count()).select_from(OtpCode).where(
        OtpCode.phone_bidx.in_(phone_indexes), OtpCode.created_at > now - timedelta(hours=1)))
    if sent >= _setting("OTP_MAX_PER_HOUR"):
        raise throttle.Throttled("该手机号码一小时内获取验证码次数过多，请稍后再试")
    # A new code replaces any earlier one for the same purpose: only the latest SMS counts.
    db.session.execute(update(OtpCode).where(
        OtpCode.member_id == member.id, OtpCode.purpose == purpose, OtpCode.context == context,
        OtpCode.used_at.is_(None)).values(used_at=now)
        .execution_options(synchronize_session=False))
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(16)
    expires = now + timedelta(seconds=_setting("OTP_TTL_SECONDS"))
    row = OtpCode(member_id=member.id, phone_bidx=member.mobile_bidx, purpose=purpose,
                  context=context, salt=salt, code_hash=_hash(salt, code), expires_at=expires,
                  attempts=0, created_at=now)
    db.session.add(row)
    db.session.flush()
    outbox.enqueue(OTP, channel=channel, key=f"otp:{row.id}", member_id=member.id,
                   payload=otp_payload(row.id, code, _setting("OTP_TTL_SECONDS") // 60))
    return Issued(row.id, mask_phone(member.mobile), expires)


def check(member_id: int, *, purpose: str, context: str, code: str) -> Checked:
    """Check an entered code against the member's latest one and spend it if right.

    A wrong code counts against the member (and the code); the caller must commit even when
    the answer is a refusal, or the count is lost.
    """
    key = member_key(member_id)
    until = throttle.locked_until(key)
    if until is not None:
        return Checked(False, throttle.lock_message(until))
    entered = (code or "").translate(_DIGITS).strip()
    if not (len(entered) == 6 and entered.isdigit()):
        return Checked(False, "请输入短信中的6位数字验证码")
    now = now_utc()
    row = db.session.scalar(select(OtpCode).where(
        OtpCode.member_id == member_id, OtpCode.purpose == purpose, OtpCode.context == context,
        OtpCode.used_at.is_(None)).order_by(OtpCode.id.desc()).limit(1))
    if row is None or row.expires_at <= now:
        return Checked(False, "验证码已过期或尚未获取，请重新获取验证码")
    if not any(hmac.compare_digest(row.code_hash, h) for h in _hashes(row.salt, entered)):
        row.attempts += 1
        left = throttle.fail(key, failure_limit())
        if left == 0:
            row.used_at = now  # a lock also kills the code the guesses were aimed at
            db.session.flush()
            return Checked(False, throttle.lock_message(now + timedelta(
                seconds=_setting("OTP_LOCK_SECONDS"))))
        db.session.flush()
        return Checked(False, f"验证码不正确，还可以再试{left}次")
    # Spend it with a guarded UPDATE: of two racing requests with the right code, one wins.
    spent = db.session.execute(update(OtpCode).where(OtpCode.id == row.id,
                                                     OtpCode.used_at.is_(None))
                               .values(used_at=now).execution_options(synchronize_session=False))
    if spent.rowcount == 0:
        return Checked(False, "该验证码已使用，请重新获取验证码")
    throttle.clear(key)
    return Checked(True, code_id=row.id)

