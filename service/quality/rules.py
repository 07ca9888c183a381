"""The 回头看 rules: the notice's problem categories, branch-size checks and completeness items.

Member-level checks are the record validators (service.records.validate); this module only maps
their rule ids onto the categories of the 2018 notice (组通〔2018〕6号) and adds what a
single record cannot show: branch sizes, members outside a branch, and the completeness formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from service.records import supplement
from service.records.codes import BRANCH_ORG_TYPES, ORG_TYPES
from service.records.fields import FULL_MEMBER
from service.records.party_dates import NO_PROBATION
from service.records.problems import ERROR, WARNING, Problem

# The notice's words, in its order; the last one is ours (党章 第八条: every member belongs to
# a branch, a group or another specific party organisation).
MISSED = "漏采"
DUPLICATE = "重复采集"
INACCURATE = "采集信息不准确"
IRREGULAR = "采集信息不规范"
INCOMPLETE = "采集信息不完整"
BRANCH_SMALL = "党支部中党员少于3人"
BRANCH_LARGE = "党支部中党员规模异常庞大"
PROBATION_SHORT = "预备期不足1年"
NO_PROBATION_FULL = "规定无预备期时期“转正”"
ID_SEX = "身份证号码与性别不符"
ID_BIRTH = "身份证号码与出生日期不符"
ID_INVALID = "身份证号码不符合编码规则"
NOT_IN_BRANCH = "党员未编入党支部"
HELD = "导入待修正"  # ours too: kept on import with these problems, no card until fixed
# ours too: lost or suspended members collected with what is known, the rest still to come
TO_SUPPLEMENT = "待补充"
CATEGORIES = (MISSED, DUPLICATE, INACCURATE, IRREGULAR, INCOMPLETE, BRANCH_SMALL, BRANCH_LARGE,
              PROBATION_SHORT, NO_PROBATION_FULL, ID_SEX, ID_BIRTH, ID_INVALID, NOT_IN_BRANCH,
              HELD, TO_SUPPLEMENT)

_CATEGORY_OF_RULE: dict[str, str] = {
    **dict.fromkeys(("ID_FORMAT", "ID_PROVINCE", "ID_BIRTH_INVALID", "ID_BIRTH_RANGE",
                     "ID_CHECKSUM"), ID_INVALID),
    "ID_SEX_MISMATCH": ID_SEX,
    "ID_BIRTH_MISMATCH": ID_BIRTH,
    "PROBATION_LT_1_YEAR": PROBATION_SHORT,
    "FULL_DATE_IN_NO_PROBATION_PERIOD": NO_PROBATION_FULL,
    **dict.fromkeys(("FIELD_MISSING", "PHONE_MISSING", "FULL_DATE_MISSING"), INCOMPLETE),
    # Values present but not in the required form (code tables, formats, the 15-digit ID).
    **dict.fromkeys(("ID_15_DIGIT_LEGACY", "FIELD_INVALID", "VALUE_NOT_ALLOWED", "CODE_UNKNOWN",
                     "CODE_NOT_LEAF", "MOBILE_FORMAT", "LANDLINE_FORMAT", "PHONE_FORMAT",
                     "PHONE_UNRECOGNISED", "ADDRESS_NO_HOUSE_NUMBER", "FLOW_FORMAT",
                     "FLOW_UNKNOWN", "FLOW_PROVINCE_ONLY", "LOST_SINCE_FORMAT", "USCC_FORMAT",
                     "USCC_CHECKSUM", "USCC_DEPT_UNKNOWN", "USCC_EMBEDDED_ORGCODE",
                     "ORGCODE_FORMAT", "ORGCODE_CHECKSUM", "UNIT_CODE_LENGTH", "UNIT_COUNT",
                     "UNITS_NOT_EXPECTED", "JOINT_TOO_MANY_UNITS", "JOINT_ORG_TYPE",
                     "JOINT_UNIT_SITUATION", "UNIT_PARTY_ORG_STATUS"), IRREGULAR),
    **dict.fromkeys(("BRANCH_NO_MEMBERS",), MISSED),
    **dict.fromkeys(("DUPLICATE_ID_NUMBER", "DUPLICATE_NAME_BIRTH"), DUPLICATE),
    **dict.fromkeys(("BRANCH_LT_3_MEMBERS",), BRANCH_SMALL),
    **dict.fromkeys(("BRANCH_GT_50_MEMBERS", "BRANCH_GT_100_MEMBERS"), BRANCH_LARGE),
    "MEMBER_NOT_IN_BRANCH": NOT_IN_BRANCH,
    "MEMBER_HELD": HELD,
    **dict.fromkeys(("MEMBER_TO_SUPPLEMENT", "FIELD_TO_SUPPLEMENT"), TO_SUPPLEMENT),
}

LARGE_BRANCH = 50  # 《中国共产党支部工作条例（试行）》第四条: 一般不超过50人
VERY_LARGE_BRANCH = 100  # enough members for a 基层党委; the 条例 allows exceptions, so a warning
# The notice's "党支部中党员少于3人" counts every member, 预备党员 included.
MIN_MEMBERS = 3
_TEMPORARY_BRANCHES = frozenset({"931", "932"})
# Completeness items every member has (phone, item 15 and item 16 are added as composites).
_ALWAYS = ("name", "sex", "ethnicity", "id_number", "birth_date", "education", "member_type",
           "branch", "joined_on", "job", "address", "party_status")


def category_of(rule: str) -> str:
    """Return the 回头看 category of a rule id; other date and value conflicts are 不准确."""
    return _CATEGORY_OF_RULE.get(rule, INACCURATE)


@dataclass(slots=True)
class OrgCounts:
    """Members of one org (direct, active records only), tallied while the report streams."""

    members: int = 0
    full_members: int = 0
    probationary: int = 0


def is_branch(org_type: str | None) -> bool:
    """Return whether members may belong directly to an org of this type."""
    return org_type in BRANCH_ORG_TYPES


def branch_size_problems(org_type: str | None, counts: OrgCounts) -> list[Problem]:
    """Report a branch with no members, fewer than 3 members (预备党员 count), or more than 50."""
    if not is_branch(org_type):
        return []
    kind = ORG_TYPES.name_of(org_type or "") or "党支部"
    if counts.members == 0:
        return [Problem("", "BRANCH_NO_MEMBERS",
                        f"该{kind}没有任何党员记录：有党员的请补录（漏采），已撤销的请维护党组织信息")]
    out: list[Problem] = []
    if counts.members < MIN_MEMBERS:
        # A temporary branch (for 流动党员, training, projects) is set up however many come.
        severity = WARNING if org_type in _TEMPORARY_BRANCHES else ERROR
        out.append(Problem("", "BRANCH_LT_3_MEMBERS",
                           f"该{kind}仅有党员{counts.members}人（其中预备党员{counts.probationary}人），"
                           "少于3人：党员不足3人的一般应与邻近单位成立联合党支部，请核实是否漏采"
                           "或组织设置有误", severity))
    if counts.members > VERY_LARGE_BRANCH:
        out.append(Problem("", "BRANCH_GT_100_MEMBERS",
                           f"该{kind}有党员{counts.members}人，超过100人，规模异常庞大：党员100人以上"
                           "一般应设立党的基层委员会，请核实是否重复采集或组织设置有误", WARNING))
    elif counts.members > LARGE_BRANCH:
        out.append(Problem("", "BRANCH_GT_50_MEMBERS",
                           f"该{kind}有党员{counts.members}人，超过50人：党支部党员人数一般不超过50人，"
                           "请核实是否重复采集，或考虑分设党支部、成立党总支", WARNING))
    return out


def not_in_branch_problem(org_type: str | None) -> Problem | None:
    """Report a member attached directly to a 党委 or 党总支 instead of a branch."""
    if is_branch(org_type):
        return None
    kind = ORG_TYPES.name_of(org_type or "") or "非党支部组织"
    return Problem("branch", "MEMBER_NOT_IN_BRANCH",
                   f"党员直接隶属于{kind}，未编入党支部：党章第八条规定每个党员都要编入党的一个"
                   "支部、小组或其他特定组织，请核实所在党支部", WARNING)


def held_problems(stored: list[dict[str, str]], found: list[Problem]) -> list[Problem]:
    """Report a member held for correction since its import, with what the import found wrong
    that the stored record no longer shows (an unreadable value is stored as blank)."""
    seen = {p.rule for p in found}
    out = [Problem("", "MEMBER_HELD", "导入时信息有误，暂存为待修正，改正前不发确认卡："
                   "请在党员信息中改正并保存，或改正后重新导入", WARNING)]
    for p in stored:
        if p.get("rule") not in seen:
            where = f"{p['field']}：" if p.get("field") else ""
            rule = p.get("rule") or "MEMBER_HELD"
            out.append(Problem("", rule, f"（导入时）{where}{p['message']}"))
    return out


def to_supplement_problem(missing: list[str] | None) -> Problem:
    """Report a member collected with what is known (待补充) and what is still missing."""
    return Problem("", "MEMBER_TO_SUPPLEMENT",
                   f"失联或停止党籍，已先采集已知信息，待补充：{supplement.describe(missing)}；"
                   "补齐前不发确认卡，请采集员记录联系情况并尽快补齐", WARNING)


def completeness_items(record: dict[str, Any]) -> tuple[int, int]:
    """Return (filled, required) items of 附件2 for one member record.

    Every member needs 15 items: 姓名, 性别, 民族, 公民身份证号, 出生日期, 学历, 人员类别,
    所在党支部, 加入党组织日期, 工作岗位, 联系电话 (手机号 or 固定电话: one item), 家庭住址,
    党籍状态, item 15 (filled unless 失联 without 失去联系日期) and item 16 (filled unless 流动
    without 外出流向). 转为正式党员日期 is a 16th item only for a 正式党员 who did not join in a
    period without probation (there it may equal the join date or stay empty).
    """
    filled = sum(not _blank(record.get(k)) for k in _ALWAYS)
    filled += not (_blank(record.get("mobile")) and _blank(record.get("landline")))
    filled += not (record.get("is_lost") is True and _blank(record.get("lost_since")))
    filled += not (record.get("is_floating") is True and _blank(record.get("flow_to")))
    required = len(_ALWAYS) + 3
    if _needs_full_date(record):
        required += 1
        filled += not _blank(record.get("full_on"))
    return filled, required


def _needs_full_date(record: dict[str, Any]) -> bool:
    if record.get("member_type") != FULL_MEMBER:
        return False
    joined = record.get("joined_on")
    return not (isinstance(joined, date)
                and any(start <= joined <= end for start, end in NO_PROBATION))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
