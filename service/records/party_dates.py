"""Party date rules: age at joining, probation length by historical period, 转正 consistency.

Periods follow the 中组部 table 《关于党龄的计算方法》 (1997).
"""

from __future__ import annotations

from datetime import date

from service.records.fields import FULL_MEMBER, PROBATIONARY_MEMBER
from service.records.problems import ERROR, WARNING, Problem, Severity

PARTY_FOUNDED = date(1921, 7, 1)
# 党章 第一条 requires 18 years; older constitutions were not verified, so earlier joins only warn.
CONSTITUTION_1982 = date(1982, 9, 6)
# Joins in these windows had no probation: 党龄 starts on the join date itself.
NO_PROBATION = (
    (date(1921, 7, 1), date(1923, 6, 9)),
    (date(1928, 6, 18), date(1945, 4, 22)),
    (date(1969, 4, 1), date(1977, 8, 11)),  # 九大 and 十大 constitutions
)
# No probation only for 工人/农民/手工业者/店员/士兵; the record does not say who was which.
WORKERS_NO_PROBATION = (date(1927, 4, 27), date(1928, 6, 17))
# Joins in these windows had exactly one year, extendable once by at most one year.
ONE_YEAR = (
    (date(1956, 9, 15), date(1969, 3, 31)),
    (date(1977, 8, 12), date.max),
)


def add_months(d: date, months: int) -> date:
    """Return d moved by whole months, clamping the day (2016-02-29 + 12 → 2017-02-28)."""
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    for day in (d.day, 30, 29, 28):
        try:
            return date(y, m + 1, day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def _within(d: date, *periods: tuple[date, date]) -> bool:
    return any(start <= d <= end for start, end in periods)


def check_party_dates(
    birth: date | None,
    joined: date | None,
    full: date | None,
    member_type: str | None,
    today: date,
) -> list[Problem]:
    """Report 入党/转正 dates that break the rules of the period the member joined in."""
    problems: list[Problem] = []
    if full is not None and full > today:
        problems.append(Problem("full_on", "FULL_DATE_FUTURE",
                                f"转为正式党员日期 {full} 晚于今天，请核对"))
    if joined is None:
        return problems
    if joined > today:
        return [*problems, Problem("joined_on", "JOIN_DATE_FUTURE",
                                   f"加入党组织日期 {joined} 晚于今天，请核对")]
    if joined < PARTY_FOUNDED:
        problems.append(Problem("joined_on", "JOIN_BEFORE_FOUNDING",
                                f"加入党组织日期 {joined} 早于建党日期 1921-07-01，请核对"))
    problems += _check_age(birth, joined)
    if full is not None and full < joined:
        return [*problems, Problem("full_on", "FULL_BEFORE_JOIN",
                                   f"转为正式党员日期 {full} 早于加入党组织日期 {joined}")]
    if member_type == PROBATIONARY_MEMBER:
        return problems + _check_probationary(joined, full, today)
    if member_type == FULL_MEMBER:
        return problems + _check_full_member(joined, full, today)
    return problems


def _check_age(birth: date | None, joined: date) -> list[Problem]:
    if birth is None:
        return []
    if joined < birth:
        return [Problem("joined_on", "JOIN_BEFORE_BIRTH",
                        f"加入党组织日期 {joined} 早于出生日期 {birth}，请核对")]
    if joined < add_months(birth, 18 * 12):
        severity: Severity = ERROR if joined >= CONSTITUTION_1982 else WARNING
        return [Problem("joined_on", "JOIN_UNDER_18",
                        f"加入党组织日期 {joined} 时未满18周岁（出生日期 {birth}），"
                        "党章规定年满十八岁方可入党，请核对出生日期和入党日期", severity)]
    return []


def _check_probationary(joined: date, full: date | None, today: date) -> list[Problem]:
    problems: list[Problem] = []
    if full is not None:
        problems.append(Problem("full_on", "PROBATIONARY_HAS_FULL_DATE",
                                "人员类别为预备党员，不应有转为正式党员日期：已转正的请将人员类别"
                                "改为正式党员，未转正的请清空转正日期"))
    if add_months(joined, 24) < today:
        problems.append(Problem("member_type", "PROBATION_OVERDUE",
                                f"预备党员自 {joined} 入党已超过2年仍未转正（预备期最长2年）："
                                "应按期转正、延长预备期或取消预备党员资格，请核实人员类别",
                                WARNING))
    return problems


def _check_full_member(joined: date, full: date | None, today: date) -> list[Problem]:
    if _within(joined, *NO_PROBATION):
        if full is not None and full != joined:
            return [Problem("full_on", "FULL_DATE_IN_NO_PROBATION_PERIOD",
                            f"{joined} 入党时党章规定无预备期（规定无预备期时期“转正”）：转为正式"
                            "党员日期应与加入党组织日期相同或不填")]
        return []
    if full is None:
        if _within(joined, WORKERS_NO_PROBATION):
            return [Problem("full_on", "FULL_DATE_MISSING",
                            f"{joined} 入党的工人、农民、士兵等无预备期，其他人员有预备期："
                            "请核实后填写转为正式党员日期（无预备期的与入党日期相同）", WARNING)]
        hint = "；入党未满1年的人员类别应为预备党员" if add_months(joined, 12) > today else ""
        return [Problem("full_on", "FULL_DATE_MISSING",
                        f"正式党员缺少转为正式党员日期{hint}")]
    if not _within(joined, *ONE_YEAR):
        return []  # 1923-1927 and 1945-1956 probations lasted 3 months to 2 years by class
    one_year, two_years = add_months(joined, 12), add_months(joined, 24)
    if full < one_year:
        return [Problem("full_on", "PROBATION_LT_1_YEAR",
                        f"预备期不足1年：{joined} 入党，转正日期应不早于 {one_year}，实为 {full}")]
    if full > two_years:
        return [Problem("full_on", "PROBATION_GT_2_YEARS",
                        f"预备期超过2年（延长预备期最长1年）：{joined} 入党，转正日期应不晚于 "
                        f"{two_years}，实为 {full}")]
    if one_year < full < add_months(joined, 18):
        return [Problem("full_on", "PROBATION_EXTENSION_LT_HALF_YEAR",
                        f"转正日期 {full} 比预备期满（{one_year}）晚不到半年：延长预备期不能少于"
                        "半年，请核实是否误填了支部大会讨论转正的日期", WARNING)]
    return []
