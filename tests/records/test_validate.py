"""Whole-record validation of members (附件2) and orgs with their units (附件1)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from service.records.fields import MEMBER_FIELDS
from service.records.problems import Problem
from service.records.validate import validate_member, validate_org

TODAY = date(2017, 7, 1)
ID_MALE_1985 = "330106198503150032"  # synthetic, valid check digit (see test_idcard)


def member(**changes: Any) -> dict[str, Any]:
    """Return a valid, invented 正式党员 with the changes applied."""
    record: dict[str, Any] = {
        "name": "李建国", "sex": "男", "ethnicity": "01", "id_number": ID_MALE_1985,
        "birth_date": date(1985, 3, 15), "education": "21", "member_type": "正式党员",
        "branch": "中共某某社区第一支部委员会", "joined_on": date(2008, 6, 20),
        "full_on": date(2009, 6, 20), "job": "0211", "mobile": "13912345678",
        "landline": None, "address": "某某市某某路12号3栋201室", "party_status": "正常",
        "is_lost": False, "lost_since": None, "is_floating": False, "flow_to": None,
    }
    record.update(changes)
    return record


def rules(problems: list[Problem]) -> set[tuple[str, str, str]]:
    return {(p.field, p.rule, p.severity) for p in problems}


def test_valid_member_has_no_problem() -> None:
    assert set(member()) == {f.key for f in MEMBER_FIELDS}
    assert validate_member(member(), TODAY) == []
    assert validate_member(member(id_number="33010619850315003 2", landline="0571-87654321",
                                  is_floating=True, flow_to="110105"), TODAY) == []


def test_required_items() -> None:
    found = rules(validate_member({}, TODAY))
    for key in ("name", "sex", "ethnicity", "id_number", "birth_date", "education",
                "member_type", "branch", "joined_on", "party_status", "is_lost", "is_floating"):
        assert (key, "FIELD_MISSING", "error") in found
    assert ("job", "FIELD_MISSING", "warning") in found
    assert ("address", "FIELD_MISSING", "warning") in found
    assert ("mobile", "PHONE_MISSING", "error") in found
    assert rules(validate_member(member(name="  "), TODAY)) == {("name", "FIELD_MISSING", "error")}


def test_phone_missing_only_warns_for_members_out_of_contact() -> None:
    lost = member(mobile=None, is_lost=True, lost_since="2016-01", party_status="停止党籍")
    assert ("mobile", "PHONE_MISSING", "warning") in rules(validate_member(lost, TODAY))


def test_values_of_the_wrong_type() -> None:
    found = rules(validate_member(member(joined_on="2008-06-20", is_lost="否", id_number=1),
                                  TODAY))
    assert {("joined_on", "FIELD_INVALID", "error"), ("is_lost", "FIELD_INVALID", "error"),
            ("id_number", "FIELD_INVALID", "error")} <= found


@pytest.mark.parametrize("changes, expected", [
    ({"ethnicity": "汉族"}, ("ethnicity", "CODE_UNKNOWN", "error")),
    ({"education": "2"}, ("education", "CODE_NOT_LEAF", "error")),
    ({"job": "01"}, ("job", "CODE_NOT_LEAF", "error")),  # the manual: re-enter with 011/012
    ({"job": "32"}, ("job", "CODE_NOT_LEAF", "error")),
    ({"sex": "M"}, ("sex", "VALUE_NOT_ALLOWED", "error")),
    ({"member_type": "党员"}, ("member_type", "VALUE_NOT_ALLOWED", "error")),
    ({"party_status": "停止"}, ("party_status", "VALUE_NOT_ALLOWED", "error")),
    ({"sex": "女"}, ("sex", "ID_SEX_MISMATCH", "error")),
    ({"birth_date": date(1985, 3, 16)}, ("birth_date", "ID_BIRTH_MISMATCH", "error")),
    ({"id_number": "330106198503150033"}, ("id_number", "ID_CHECKSUM", "error")),
    ({"id_number": "330106850315003"}, ("id_number", "ID_15_DIGIT_LEGACY", "warning")),
    ({"mobile": "1391234567"}, ("mobile", "MOBILE_FORMAT", "error")),
    ({"landline": "87654321"}, ("landline", "LANDLINE_FORMAT", "error")),
    ({"address": "某某市某某路"}, ("address", "ADDRESS_NO_HOUSE_NUMBER", "warning")),
    ({"full_on": date(2009, 1, 1)}, ("full_on", "PROBATION_LT_1_YEAR", "error")),
    ({"member_type": "预备党员", "full_on": None},
     ("member_type", "PROBATION_OVERDUE", "warning")),
    ({"member_type": "预备党员", "party_status": "停止党籍", "is_lost": True,
      "lost_since": "2010-01", "full_on": None},
     ("party_status", "PROBATIONARY_SUSPENDED", "error")),
    ({"party_status": "停止党籍"}, ("party_status", "SUSPENDED_NOT_LOST", "warning")),
    ({"party_status": "停止党籍", "is_lost": True, "lost_since": "2017-03"},
     ("party_status", "SUSPENDED_LOST_LT_6_MONTHS", "warning")),
    ({"is_lost": True}, ("lost_since", "FIELD_MISSING", "error")),
    ({"is_lost": True, "lost_since": "2016/3"}, ("lost_since", "LOST_SINCE_FORMAT", "error")),
    ({"is_lost": True, "lost_since": "2008-05"}, ("lost_since", "LOST_SINCE_RANGE", "error")),
    ({"is_lost": True, "lost_since": "2017-08"}, ("lost_since", "LOST_SINCE_RANGE", "error")),
    ({"lost_since": "2016-03"}, ("lost_since", "LOST_SINCE_UNEXPECTED", "error")),
    ({"is_floating": True}, ("flow_to", "FIELD_MISSING", "error")),
    ({"is_floating": True, "flow_to": "33"}, ("flow_to", "FLOW_PROVINCE_ONLY", "warning")),
    ({"is_floating": True, "flow_to": "330199"}, ("flow_to", "FLOW_UNKNOWN", "error")),
    ({"flow_to": "330106"}, ("flow_to", "FLOW_TO_UNEXPECTED", "warning")),
    ({"birth_date": date(2018, 1, 1)}, ("birth_date", "BIRTH_DATE_RANGE", "error")),
])
def test_member_rules(changes: dict[str, Any], expected: tuple[str, str, str]) -> None:
    assert expected in rules(validate_member(member(**changes), TODAY))


def test_lost_member_at_the_edges_of_the_allowed_range() -> None:
    for month in ("2008-06", "2017-07"):
        assert validate_member(member(is_lost=True, lost_since=month), TODAY) == []


def test_messages_never_contain_the_full_id_or_phone() -> None:
    record = member(id_number="330106198503150033", sex="女", mobile="12912345678",
                    landline="021-6666666", birth_date=date(1985, 3, 16))
    problems = validate_member(record, TODAY)
    assert len(problems) >= 5
    for problem in problems:
        for secret in ("330106198503150033", "33010619850315003", "12912345678", "6666666"):
            assert secret not in problem.message


def org(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"name": "中共某某有限公司支部委员会", "secretary": "王红",
                              "contact": "赵明", "contact_phone": "13912345678",
                              "org_type": "631", "unit_situation": "法人单位"}
    record.update(changes)
    return record


def unit(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"name": "某某有限公司", "unit_type": "23",
                              "party_org_status": "13", "unit_code": "91350100M000100Y43"}
    record.update(changes)
    return record


def joint_unit(n: int) -> dict[str, Any]:
    return unit(name=f"共建单位{n}", party_org_status="2", unit_code="0")


def test_valid_orgs() -> None:
    assert validate_org(org(), [unit()], TODAY) == []
    assert validate_org(org(unit_situation="与上级党组织相同", contact_phone="0571-87654321"),
                        [], TODAY) == []
    assert validate_org(org(org_type="632", unit_situation="联合支部"),
                        [joint_unit(1), joint_unit(2)], TODAY) == []


@pytest.mark.parametrize("changes, units, expected", [
    ({"name": ""}, 1, ("name", "FIELD_MISSING", "error")),
    ({"secretary": None}, 1, ("secretary", "FIELD_MISSING", "warning")),
    ({"contact_phone": "12345"}, 1, ("contact_phone", "PHONE_FORMAT", "error")),
    ({"org_type": "6"}, 1, ("org_type", "CODE_NOT_LEAF", "error")),
    ({"org_type": "633"}, 1, ("org_type", "CODE_UNKNOWN", "error")),
    ({"org_type": None}, 1, ("org_type", "FIELD_MISSING", "error")),
    ({"unit_situation": "独立"}, 1, ("unit_situation", "VALUE_NOT_ALLOWED", "error")),
    ({}, 0, ("units", "UNIT_COUNT", "error")),
    ({}, 2, ("units", "UNIT_COUNT", "error")),
    ({"org_type": "632"}, 1, ("unit_situation", "JOINT_UNIT_SITUATION", "warning")),
    ({"unit_situation": "与上级党组织相同"}, 1, ("units", "UNITS_NOT_EXPECTED", "warning")),
    ({"org_type": "632", "unit_situation": "联合支部"}, 1, ("units", "UNIT_COUNT", "error")),
    ({"org_type": "632", "unit_situation": "联合支部"}, 6,
     ("units", "JOINT_TOO_MANY_UNITS", "warning")),
    ({"unit_situation": "联合支部"}, 2, ("org_type", "JOINT_ORG_TYPE", "warning")),
])
def test_org_rules(changes: dict[str, Any], units: int, expected: tuple[str, str, str]) -> None:
    joint = changes.get("unit_situation") == "联合支部"
    members = [joint_unit(i) if joint else unit() for i in range(units)]
    assert expected in rules(validate_org(org(**changes), members, TODAY))


@pytest.mark.parametrize("changes, expected", [
    ({"name": None}, ("units[1].name", "FIELD_MISSING", "error")),
    ({"unit_type": "2"}, ("units[1].unit_type", "CODE_NOT_LEAF", "error")),
    ({"party_org_status": "3"}, ("units[1].party_org_status", "CODE_UNKNOWN", "error")),
    ({"party_org_status": "13"}, ("units[1].party_org_status", "UNIT_PARTY_ORG_STATUS",
                                  "warning")),
    ({"unit_code": None}, ("units[1].unit_code", "FIELD_MISSING", "error")),
    ({"unit_code": "91350100M000100Y44"}, ("units[1].unit_code", "USCC_CHECKSUM", "error")),
    ({"unit_code": "MJX17369-8"}, ("units[1].unit_code", "ORGCODE_CHECKSUM", "error")),
    ({"unit_code": 12345}, ("units[1].unit_code", "UNIT_CODE_LENGTH", "error")),
])
def test_unit_problems_name_the_unit(
        changes: dict[str, Any], expected: tuple[str, str, str]) -> None:
    second = {**unit(name="第二家公司", party_org_status="2"), **changes}
    units = [joint_unit(1), second]
    problems = validate_org(org(org_type="632", unit_situation="联合支部"), units, TODAY)
    assert expected in rules(problems)
    (problem,) = [p for p in problems if p.field == expected[0]]
    named = changes.get("name", "x") is not None
    prefix = "第2个所在单位（第二家公司）：" if named else "第2个所在单位："
    assert problem.message.startswith(prefix)
