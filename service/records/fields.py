"""The 26 collected items: field keys, their Chinese labels and the fixed value sets.

Every layer (validators, Excel import/export, cards, PDFs, admin pages) speaks of a member or an
org through these keys, so a record is a plain ``dict`` keyed by them. Values in such a dict are
canonical: codes as strings ("01", "21"), dates as ``datetime.date``, flags as ``bool``,
``lost_since`` as "YYYY-MM", and the enumerations below as their Chinese words.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    """One collected item: its key, the label printed on the official forms, and its item no."""

    key: str
    label: str
    item: int


# 附件2 党员基本信息采集表: 16 items. Item 12 (联系电话) is two fields, 15 and 16 carry a detail.
MEMBER_FIELDS: tuple[Field, ...] = (
    Field("name", "姓名", 1),
    Field("sex", "性别", 2),
    Field("ethnicity", "民族", 3),
    Field("id_number", "公民身份证号", 4),
    Field("birth_date", "出生日期", 5),
    Field("education", "学历", 6),
    Field("member_type", "人员类别", 7),
    Field("branch", "所在党支部", 8),
    Field("joined_on", "加入党组织日期", 9),
    Field("full_on", "转为正式党员日期", 10),
    Field("job", "工作岗位", 11),
    Field("mobile", "手机号", 12),
    Field("landline", "固定电话", 12),
    Field("address", "家庭住址", 13),
    Field("party_status", "党籍状态", 14),
    Field("is_lost", "是否为失联党员", 15),
    Field("lost_since", "失去联系日期", 15),
    Field("is_floating", "是否为流动党员", 16),
    Field("flow_to", "外出流向", 16),
)
MEMBER_LABELS: dict[str, str] = {f.key: f.label for f in MEMBER_FIELDS}

# Keys holding personal numbers: encrypted at rest, masked on screen, never logged.
SENSITIVE_MEMBER_KEYS = frozenset({"id_number", "mobile", "landline"})

# 附件1 党组织和所在单位基本信息采集表: items 1-6 describe the org, 7-10 each of its units.
ORG_FIELDS: tuple[Field, ...] = (
    Field("name", "党组织名称", 1),
    Field("secretary", "党组织书记", 2),
    Field("contact", "党组织联系人", 3),
    Field("contact_phone", "联系电话", 4),
    Field("org_type", "组织类别", 5),
    Field("unit_situation", "党组织所在单位情况", 6),
)
UNIT_FIELDS: tuple[Field, ...] = (
    Field("name", "单位名称", 7),
    Field("unit_type", "单位类别", 8),
    Field("party_org_status", "单位建立党组织情况", 9),
    Field("unit_code", "党组织所在单位代码", 10),
)
ORG_LABELS: dict[str, str] = {f.key: f.label for f in ORG_FIELDS}
UNIT_LABELS: dict[str, str] = {f.key: f.label for f in UNIT_FIELDS}

SEXES = ("男", "女")
MEMBER_TYPES = ("正式党员", "预备党员")
FULL_MEMBER, PROBATIONARY_MEMBER = MEMBER_TYPES
PARTY_STATUSES = ("正常", "停止党籍")
NORMAL_STATUS, SUSPENDED_STATUS = PARTY_STATUSES
YES, NO = "是", "否"

# 附件1 item 6, in the form's order.
UNIT_SITUATIONS = ("与上级党组织相同", "法人单位", "联合支部")
SAME_AS_PARENT, LEGAL_ENTITY, JOINT_UNITS = UNIT_SITUATIONS

# A unit that has neither a credit code nor an organisation code is written as "0" (as the
# operations manual of the collection system says).
NO_UNIT_CODE = "0"
