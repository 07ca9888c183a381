"""Member with the 16 items of 附件2, and the version history of every change to it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from service.clock import now_utc
from service.crypto import EncryptedString, blind_index
from service.extensions import db
from service.models.org import Org
from service.schema import BigId, created_at, intpk

ACTIVE = "active"


class Member(db.Model):
    """A party member. Never deleted: transferred or archived through ``record_status``."""

    __tablename__ = "members"

    id: Mapped[intpk]
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("orgs.id"), index=True)  # 8. 所在党支部
    name: Mapped[str] = mapped_column(String(64))  # 1. 姓名
    sex: Mapped[str | None] = mapped_column(String(2))  # 2. 性别 男/女
    ethnicity: Mapped[str | None] = mapped_column(String(2))  # 3. 民族 code
    # 4. 公民身份证号, encrypted; the blind index finds a person and forbids duplicates.
    id_number: Mapped[str | None] = mapped_column(EncryptedString("member.id_number"))
    id_number_bidx: Mapped[str | None] = mapped_column(String(64), unique=True)
    birth_date: Mapped[date | None] = mapped_column(Date)  # 5. 出生日期
    education: Mapped[str | None] = mapped_column(String(2))  # 6. 学历 code
    member_type: Mapped[str | None] = mapped_column(String(8))  # 7. 人员类别
    joined_on: Mapped[date | None] = mapped_column(Date)  # 9. 加入党组织日期
    full_on: Mapped[date | None] = mapped_column(Date)  # 10. 转为正式党员日期
    job: Mapped[str | None] = mapped_column(String(4))  # 11. 工作岗位 code
    # 12. 联系电话: mobile is indexed so an SMS reply can be matched to its sender.
    mobile: Mapped[str | None] = mapped_column(EncryptedString("member.mobile"))
    mobile_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    landline: Mapped[str | None] = mapped_column(EncryptedString("member.landline"))
    address: Mapped[str | None] = mapped_column(String(255))  # 13. 家庭住址
    party_status: Mapped[str | None] = mapped_column(String(8))  # 14. 党籍状态
    is_lost: Mapped[bool] = mapped_column(default=False)  # 15. 是否为失联党员
    lost_since: Mapped[str | None] = mapped_column(String(7))  # 失去联系日期 "YYYY-MM"
    is_floating: Mapped[bool] = mapped_column(default=False)  # 16. 是否为流动党员
    flow_to: Mapped[str | None] = mapped_column(String(6))  # 外出流向: most specific division code

    record_status: Mapped[str] = mapped_column(String(16), default=ACTIVE, index=True)
    # 待修正: imported with values that break the content rules. Kept (dropping them would be the
    # 漏采 the 回头看 looks for) with what is wrong, and sent no card until a fix makes it valid.
    held: Mapped[bool] = mapped_column(default=False, index=True)
    # [{"rule", "field", "message"}], numbers masked; None when not held
    held_problems: Mapped[list[dict[str, str]] | None] = mapped_column(JSON(none_as_null=True))
    # 待补充: a lost or suspended member collected with what is known. The items still to be
    # supplied (keys of service.records.supplement.ITEMS); None when nothing is missing. Such a
    # member is enrolled in campaigns but sent no card until the gaps are filled.
    to_supplement: Mapped[bool] = mapped_column(default=False, index=True)
    missing_items: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    # Bumped on every UPDATE; SQLAlchemy refuses a write based on a stale read (optimistic lock).
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    org: Mapped[Org] = relationship()
    versions: Mapped[list[MemberVersion]] = relationship(
        back_populates="member", order_by="MemberVersion.revision"
    )

    __mapper_args__ = {"version_id_col": revision}

    @validates("id_number")
    def _index_id_number(self, key: str, value: str | None) -> str | None:
        self.id_number_bidx = blind_index(value, "id_number")
        return value

    @validates("mobile")
    def _index_mobile(self, key: str, value: str | None) -> str | None:
        self.mobile_bidx = blind_index(value, "mobile")
        return value

    def __repr__(self) -> str:
        return f"<Member {self.id}>"  # no name or number: reprs end up in logs


class MemberVersion(db.Model):
    """One change to a member: who, when, what before and after, and on what basis."""

    __tablename__ = "member_versions"
    __table_args__ = (UniqueConstraint("member_id", "revision"),)

    id: Mapped[intpk]
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("members.id"), index=True)
    revision: Mapped[int]  # the member's revision this change produced
    changed_at: Mapped[created_at]
    actor: Mapped[str] = mapped_column(String(128))  # "admin:12", "member:5", "import", "system"
    source: Mapped[str] = mapped_column(String(32))  # create, import, admin_edit, correction, ...
    basis: Mapped[str | None] = mapped_column(Text)  # 依据材料 / basis note
    # {field: [before, after]}; personal numbers inside are encrypted (see service.roster.history)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)

    member: Mapped[Member] = relationship(back_populates="versions")
