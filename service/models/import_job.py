"""Web roster imports: one row per uploaded workbook, with progress the page polls."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.clock import now_utc
from service.extensions import db
from service.schema import BigId, created_at, intpk

MEMBERS = "members"  # 附件4 党员基本信息汇总表
ORGS = "orgs"  # 附件3 党组织和所在单位信息汇总表
KINDS = {MEMBERS: "党员（附件4）", ORGS: "党组织（附件3）"}

QUEUED = "queued"
CHECKING = "checking"
WRITING = "writing"
DONE = "done"  # written
REFUSED = "refused"  # errors found, nothing written
FAILED = "failed"  # the job itself broke, nothing written
STATUSES = {QUEUED: "排队中", CHECKING: "检查中", WRITING: "写入中", DONE: "已完成",
            REFUSED: "有错误，未导入", FAILED: "导入失败"}
FINISHED = (DONE, REFUSED, FAILED)


class ImportJob(db.Model):
    """An upload being checked and imported in the background, all-or-nothing by default."""

    __tablename__ = "import_jobs"

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    uploaded_by: Mapped[int] = mapped_column(BigId, ForeignKey("admin_users.id"), index=True)
    scope_org_id: Mapped[int] = mapped_column(BigId, ForeignKey("orgs.id"), index=True)
    skip_invalid: Mapped[bool] = mapped_column(default=False)
    hold_invalid: Mapped[bool] = mapped_column(default=False)  # keep bad rows as 待修正
    # the uploader confirmed renaming more existing members than the limit allows
    accept_changes: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    total: Mapped[int] = mapped_column(default=0)  # rows to check, then rows to write
    done: Mapped[int] = mapped_column(default=0)
    rows: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    error_rows: Mapped[int] = mapped_column(default=0)
    warnings: Mapped[int] = mapped_column(default=0)
    has_report: Mapped[bool] = mapped_column(default=False)
    message: Mapped[str | None] = mapped_column(Text)
    # Who runs it (a `flask imports work` process or a web thread) and until when its claim
    # holds without a heartbeat; a job past lease_until is claimed again from the start.
    worker_id: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)  # claims so far, the first included
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    @property
    def finished(self) -> bool:
        """Whether the job has stopped (written, refused or failed)."""
        return self.status in FINISHED

    @property
    def percent(self) -> int:
        """Progress of the current phase, 0-100 (100 once finished)."""
        if self.finished:
            return 100
        return min(99, int(100 * self.done / self.total)) if self.total else 0
