"""Admin users: committee and branch staff and inspectors, each with a role and an org scope."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from service.extensions import db
from service.models.org import Org
from service.schema import BigId, created_at, intpk

# Roles. The org scope is a subtree: the user sees their org and everything below it.
ORG_DEPARTMENT = "org_department"  # 组织部门: read, review, sample
COMMITTEE_ADMIN = "committee_admin"  # 基层党委信息管理员: manage the subtree
BRANCH_ADMIN = "branch_admin"  # 支部管理员: own branch
COLLECTOR = "collector"  # 信息采集员: own branch
ROLES = {
    ORG_DEPARTMENT: "组织部门",
    COMMITTEE_ADMIN: "基层党委信息管理员",
    BRANCH_ADMIN: "党支部管理员",
    COLLECTOR: "信息采集员",
}


class AdminUser(db.Model):
    """A person who signs in to the admin pages."""

    __tablename__ = "admin_users"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("orgs.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]

    org: Mapped[Org] = relationship()

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password`` (werkzeug's scrypt)."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Return whether ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<AdminUser {self.username}>"
