"""The 2011 acceptance rules (Shaanxi), transcribed: sample sizes and the scoring sheet.

附1《陕西省党员信息库审核验收办法》三、审核验收比例 and 四、审核验收档次;
附2《党员信息库建库检查验收评分表》 (20 items, 100 points).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# 三(1)/(2): "50个以内…不少于5个；100个以内…10个；200个以内…15个；200个以上…20个",
# the same ladder for 党支部 and for 党员 (and 申请入党人). "以内" includes the bound.
SIZE_LADDER = ((50, 5), (100, 10), (200, 15))
SIZE_ABOVE = 20
# 附件2 二、工作方法: the province samples "不少于基层党委总数的5%".
COMMITTEE_RATIO = 0.05

EXCELLENT = 95  # "平均得分95分以上，为建库工作优秀单位"
PASSING = 90  # "平均得分90分以上，为建库工作合格单位；平均得分低于90分的，为…不合格单位"

ORG_GROUP = "党组织信息"
MEMBER_GROUP = "党员信息"
APPLICANT_GROUP = "申请入党人信息"
GROUP_POINTS = {ORG_GROUP: 40, MEMBER_GROUP: 40, APPLICANT_GROUP: 20}


def sample_size(total: int) -> int:
    """Return how many of ``total`` branches (or members) the rules require to be checked.

    A population smaller than the minimum is checked in full.
    """
    if total <= 0:
        return 0
    required = next((n for bound, n in SIZE_LADDER if total <= bound), SIZE_ABOVE)
    return min(total, required)


def committee_sample_size(total: int) -> int:
    """Return how many of ``total`` 基层党委 a provincial check samples (at least 5%)."""
    return min(total, math.ceil(total * COMMITTEE_RATIO)) if total > 0 else 0


@dataclass(frozen=True)
class ScoreItem:
    """One row of the 评分表."""

    no: int
    group: str
    name: str
    method: str
    points: int
    per_problem: int


_ONE = "每存在一处未填写、填写错误或不规范的扣1分，扣完为止"
_ONE_REAL = "每存在一处未填写、填写错误或不符合实际情况的扣1分，扣完为止"
_SEARCH = "系统查找是否有错误，允许存在的情况除外"

ITEMS: tuple[ScoreItem, ...] = (
    ScoreItem(1, ORG_GROUP, "基本信息", _ONE, 10, 1),
    ScoreItem(2, ORG_GROUP, "班子成员信息",
              "每存在一处未填写、填写错误或不符合实际情况扣1分，扣完为止", 5, 1),
    ScoreItem(3, ORG_GROUP, "组织奖惩信息", _ONE_REAL, 5, 1),
    ScoreItem(4, ORG_GROUP, "单位信息", _ONE_REAL, 5, 1),
    ScoreItem(5, ORG_GROUP, "下属党组织是否齐全", "每缺一个扣1分，扣完为止", 5, 1),
    ScoreItem(6, ORG_GROUP, "党组织树的结构是否与实际情况一致、完整",
              "每存在一处不符合实际情况扣1分，扣完为止", 5, 1),
    ScoreItem(7, ORG_GROUP, _SEARCH, "每查出一条错误扣2分，扣完为止", 5, 2),
    ScoreItem(8, MEMBER_GROUP, "基本信息", _ONE, 7, 1),
    ScoreItem(9, MEMBER_GROUP, "学历学位信息", _ONE, 4, 1),
    ScoreItem(10, MEMBER_GROUP, "工作岗位", _ONE, 4, 1),
    ScoreItem(11, MEMBER_GROUP, "奖惩信息", _ONE, 4, 1),
    ScoreItem(12, MEMBER_GROUP, "党籍信息", _ONE, 4, 1),
    ScoreItem(13, MEMBER_GROUP, "组织关系", _ONE, 4, 1),
    ScoreItem(14, MEMBER_GROUP, "流动党员", _ONE, 4, 1),
    ScoreItem(15, MEMBER_GROUP, "困难党员", _ONE, 4, 1),
    ScoreItem(16, MEMBER_GROUP, _SEARCH, "每存在一处错误扣1分，扣完为止", 5, 1),
    ScoreItem(17, APPLICANT_GROUP, "基本信息是否完整准确", _ONE, 5, 1),
    ScoreItem(18, APPLICANT_GROUP, "学位学历信息", _ONE, 5, 1),
    ScoreItem(19, APPLICANT_GROUP, "培养发展信息", _ONE, 5, 1),
    ScoreItem(20, APPLICANT_GROUP, _SEARCH, "每存在一处错误扣1分，扣完为止", 5, 1),
)
BY_NO = {i.no: i for i in ITEMS}

# A sampled branch is checked against the org items, a sampled member against the member
# items. 申请入党人 are not held in this system, so items 17-20 stay on the sheet as 不适用.
BRANCH_ITEMS = tuple(i for i in ITEMS if i.group == ORG_GROUP)
MEMBER_ITEMS = tuple(i for i in ITEMS if i.group == MEMBER_GROUP)
SCORED_GROUPS = (ORG_GROUP, MEMBER_GROUP)
FULL_POINTS = sum(i.points for i in ITEMS)  # 100, as printed
NOT_APPLICABLE = {APPLICANT_GROUP: "不适用：本系统只采集党组织和党员信息（附件1至附件4），"
                                   "不含申请入党人信息，此项既不检查也不扣分"}


def applicable(item: ScoreItem) -> bool:
    """Tell whether this system holds what the item checks."""
    return item.group in SCORED_GROUPS


def grade(score: float) -> str:
    """Return 优秀 / 合格 / 不合格 for a score on the 100-point scale."""
    if score >= EXCELLENT:
        return "优秀"
    return "合格" if score >= PASSING else "不合格"
