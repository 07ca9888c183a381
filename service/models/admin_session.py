"""Admin sign-in sessions kept on the server, so signing out or locking a user ends them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.extensions import db
from service.models.admin_user import AdminUser
from service.schema import BigId, created_at, intpk


class AdminSession(db.Model):
    """One signed-in browser. The cookie carries a random token; only its hash is stored here."""

    __tablename__ = "admin_sessions"

    id: Mapped[intpk]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("admin_users.id"), index=True)
    created_at: Mapped[created_at]
    last_seen_at: Mapped[datetime]  # idle timeout counts from here (refreshed once a minute)
    expires_at: Mapped[datetime]  # absolute end, however active the session is
    ended_at: Mapped[datetime | None]  # signed out, or ended by a lock or deactivation
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[AdminUser] = relationship()

    def __repr__(self) -> str:
        return f"<AdminSession {self.id} user={self.user_id}>"
