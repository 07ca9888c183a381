"""Audit log: every login, full-ID view, export, edit and workflow transition."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import db
from service.schema import BigId, created_at, intpk


class AuditLog(db.Model):
    """One audited action. Rows are only ever added."""

    __tablename__ = "audit_log"

    id: Mapped[intpk]
    at: Mapped[created_at] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(128), index=True)  # "admin:3", "member:7", "system"
    action: Mapped[str] = mapped_column(String(64), index=True)  # e.g. "member.edit", "login"
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # The org the action touched (a member's branch, an exported org): who may read the row.
    org_id: Mapped[int | None] = mapped_column(BigId, index=True)
    # Why and what: never a full ID number or phone (mask them before they get here).
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    def __repr__(self) -> str:
        return f"<AuditLog {self.id} {self.action}>"
