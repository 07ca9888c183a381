"""Shared send state of the WeChat and SMS channels: access tokens, rate windows, grant uses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.crypto import EncryptedText
from service.extensions import db
from service.schema import BigId, created_at, intpk


class WeChatToken(db.Model):
    """The one current access token of a WeChat app (official account or mini-program).

    Every process reads it from here, so WeChat issues one token per app, not one per worker
    (a fresh token from the normal endpoint invalidates older ones). ``generation`` grows on
    every refresh: a worker whose token was refused refreshes only if the generation it used
    is still the stored one. ``refreshing_until`` is the SQLite refresh lease (MySQL locks
    the row instead). The token is a credential: encrypted at rest, never logged.
    """

    __tablename__ = "wechat_tokens"

    id: Mapped[intpk]
    appid: Mapped[str] = mapped_column(String(64), unique=True)
    token: Mapped[str | None] = mapped_column(
        EncryptedText("wechat_access_token"))  # WeChat: keep room for 512 characters
    generation: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime | None]
    refresh_at: Mapped[datetime | None]  # readers refresh from here on (before expires_at)
    refreshing_until: Mapped[datetime | None]
    updated_at: Mapped[created_at]


class SendRateWindow(db.Model):
    """How many messages a provider was handed in one second (the cross-process rate limit)."""

    __tablename__ = "send_rate_windows"
    __table_args__ = (UniqueConstraint("provider", "window"),)

    id: Mapped[intpk]
    provider: Mapped[str] = mapped_column(String(32))
    window: Mapped[int] = mapped_column(BigInteger)  # epoch second
    sent: Mapped[int] = mapped_column(default=0)


class SubscribeGrantUse(db.Model):
    """A one-time subscription grant reserved for one outbox message (at most one each).

    The grant is taken from the binding and recorded here in one transaction before the
    send; a retry of the same message (after a crash or a timeout) reuses this reservation,
    so a grant is neither spent twice nor lost. It is handed back only when WeChat refused
    the request for a reason that did not consume it (a bad template, say).
    """

    __tablename__ = "subscribe_grant_uses"

    id: Mapped[intpk]
    outbox_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("outbox_messages.id"), unique=True)
    binding_id: Mapped[int] = mapped_column(BigId, ForeignKey("channel_bindings.id"), index=True)
    created_at: Mapped[created_at]
