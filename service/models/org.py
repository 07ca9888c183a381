"""Org tree (党委 → 党总支 → 党支部) with the 附件1 items, and the units each org sits in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.clock import now_utc
from service.crypto import EncryptedString
from service.extensions import db
from service.schema import BigId, created_at, intpk


class Org(db.Model):
    """A party organisation: items 1-6 of 附件1 and its place in the tree."""

    __tablename__ = "orgs"

    id: Mapped[intpk]
    parent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("orgs.id"), index=True)
    # Materialized path of ids, "/1/5/12/", so a whole subtree is one indexed prefix match
    # (no recursive CTEs, which keeps the SQL portable to TiDB).
    path: Mapped[str] = mapped_column(String(255), index=True, default="")
    name: Mapped[str] = mapped_column(String(200), unique=True)  # 1. 党组织名称（全称）
    org_code: Mapped[str | None] = mapped_column(String(32))  # 党组织编码, optional
    secretary: Mapped[str | None] = mapped_column(String(64))  # 2. 党组织书记
    contact: Mapped[str | None] = mapped_column(String(64))  # 3. 党组织联系人
    contact_phone: Mapped[str | None] = mapped_column(EncryptedString("org.contact_phone"))  # 4.
    org_type: Mapped[str] = mapped_column(String(3))  # 5. 组织类别 code
    unit_situation: Mapped[str | None] = mapped_column(String(16))  # 6. 党组织所在单位情况
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    parent: Mapped[Org | None] = relationship(remote_side="Org.id", back_populates="children")
    children: Mapped[list[Org]] = relationship(back_populates="parent", order_by="Org.id")
    units: Mapped[list[Unit]] = relationship(
        back_populates="org", order_by="Unit.seq", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Org {self.id} {self.name}>"


class Unit(db.Model):
    """A unit an org sits in: items 7-10 of 附件1. A 联合党支部 has several, in ``seq`` order."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("org_id", "seq"),)

    id: Mapped[intpk]
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("orgs.id"), index=True)
    seq: Mapped[int] = mapped_column(default=1)
    name: Mapped[str] = mapped_column(String(200))  # 7. 单位名称（全称）
    unit_type: Mapped[str | None] = mapped_column(String(2))  # 8. 单位类别 code
    party_org_status: Mapped[str | None] = mapped_column(String(2))  # 9. 单位建立党组织情况 code
    unit_code: Mapped[str | None] = mapped_column(String(18))  # 10. USCC, org code, or "0"

    org: Mapped[Org] = relationship(back_populates="units")
