"""Acceptance sampling (验收抽查): a recorded draw, its sampled records and their checklists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.extensions import db
from service.schema import BigId, created_at, intpk

BRANCH = "branch"  # a sampled 党支部 (checklist items 1-7 of the scoring sheet)
MEMBER = "member"  # a sampled 党员 (items 8-16)
COMMITTEE = "committee"  # a sampled 基层党委 (the 组织部门's 5% draw; each is then sampled itself)
PASS = "pass"
FAIL = "fail"


class SamplingRun(db.Model):
    """One draw over an org subtree: the seed and the population it was drawn from are kept,
    so anyone can redraw the same sample and see that it was not picked by hand."""

    __tablename__ = "sampling_runs"

    id: Mapped[intpk]
    scope_org_id: Mapped[int] = mapped_column(BigId, ForeignKey("orgs.id"), index=True)
    seed: Mapped[str] = mapped_column(String(64))
    drawn_by: Mapped[int] = mapped_column(BigId, ForeignKey("admin_users.id"))
    drawn_at: Mapped[created_at]
    branch_total: Mapped[int] = mapped_column(default=0)
    member_total: Mapped[int] = mapped_column(default=0)
    branch_size: Mapped[int] = mapped_column(default=0)
    member_size: Mapped[int] = mapped_column(default=0)
    committee_total: Mapped[int] = mapped_column(default=0)
    committee_size: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]

    items: Mapped[list[SamplingItem]] = relationship(
        back_populates="run", order_by=lambda: (SamplingItem.kind, SamplingItem.seq),
        cascade="all, delete-orphan")  # "branch" < "committee" < "member", each in draw order


class SamplingItem(db.Model):
    """A record the draw picked: a branch or a member, in draw order."""

    __tablename__ = "sampling_items"
    __table_args__ = (UniqueConstraint("run_id", "kind", "seq"),)

    id: Mapped[intpk]
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("sampling_runs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int]
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("orgs.id"))
    member_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("members.id"))

    run: Mapped[SamplingRun] = relationship(back_populates="items")
    checks: Mapped[list[SamplingCheck]] = relationship(
        back_populates="item", order_by="SamplingCheck.item_no", cascade="all, delete-orphan")


class SamplingCheck(db.Model):
    """The inspector's verdict on one scoring-sheet item of one sampled record."""

    __tablename__ = "sampling_checks"
    __table_args__ = (UniqueConstraint("item_id", "item_no"),)

    id: Mapped[intpk]
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("sampling_items.id"), index=True)
    item_no: Mapped[int]  # 序号 on the 评分表
    result: Mapped[str] = mapped_column(String(8))
    problems: Mapped[int] = mapped_column(default=0)  # how many 处 the deduction counts
    reason: Mapped[str | None] = mapped_column(Text)
    checked_by: Mapped[int] = mapped_column(BigId, ForeignKey("admin_users.id"))
    checked_at: Mapped[created_at]

    item: Mapped[SamplingItem] = relationship(back_populates="checks")
