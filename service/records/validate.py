"""Whole-record validation of a member (附件2) and of an org with its units (附件1)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

from service.records import (
    codes,
    divisions,
    fields,
    idcard,
    party_dates,
    phones,
    supplement,
    unitcode,
)
from service.records.fields import MEMBER_LABELS, ORG_LABELS, UNIT_LABELS
from service.records.problems import ERROR, WARNING, Problem, Severity

MEMBER_REQUIRED = ("name", "sex", "ethnicity", "id_number", "birth_date", "education",
                   "member_type", "branch", "joined_on", "party_status", "is_lost", "is_floating")
# The notice lets collectors leave unknown items open for members not yet found (the
# 2017 notice, part 一):
# job and address are asked for but only warned about when missing.
MEMBER_WANTED = ("job", "address")
_DATE_KEYS = ("birth_date", "joined_on", "full_on")
_FLAG_KEYS = ("is_lost", "is_floating")
_CODED = (("ethnicity", codes.ETHNICITIES), ("education", codes.EDUCATION), ("job", codes.JOBS))
_CHOICES = (("sex", fields.SEXES), ("member_type", fields.MEMBER_TYPES),
            ("party_status", fields.PARTY_STATUSES))
# 具体到门牌号: a number followed by 号/室/栋/幢/单元/组…, or the "5-2-301" building-unit-room form.
_HOUSE_NUMBER = re.compile(
    r"[0-9一二三四五六七八九十百零〇两]+(?:号|室|栋|幢|单元|组|弄|楼|户|座)|[0-9]+-[0-9]+")
_YEAR_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
MAX_JOINT_UNITS = 5  # 《中国共产党支部工作条例（试行）》第五条


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _missing(key: str, labels: dict[str, str], severity: Severity = ERROR, hint: str = ""
             ) -> Problem:
    return Problem(key, "FIELD_MISSING", f"缺少{labels[key]}{hint}", severity)


def validate_member(record: dict[str, Any], today: date) -> list[Problem]:
    """Return every problem in a canonical member record (keys from fields.MEMBER_FIELDS)."""
    r: dict[str, Any] = {f.key: record.get(f.key) for f in fields.MEMBER_FIELDS}
    # A lost or suspended member is collected with what is known: the rest waits (待补充).
    later = set(supplement.ITEMS) if supplement.may_supplement(r) else set()
    out: list[Problem] = [_missing(k, MEMBER_LABELS) for k in MEMBER_REQUIRED
                          if _blank(r[k]) and k not in later]
    out += [Problem(k, "FIELD_TO_SUPPLEMENT", f"缺少{MEMBER_LABELS[k]}：失联或停止党籍的党员"
                    "可先采集已知信息，标为待补充，日后补齐", WARNING)
            for k in MEMBER_REQUIRED if _blank(r[k]) and k in later]
    out += [_missing(k, MEMBER_LABELS, WARNING) for k in MEMBER_WANTED if _blank(r[k])]
    # A value of the wrong type is reported once and then treated as absent by later checks.
    for key, value in r.items():
        kind, wanted = ((date, "日期") if key in _DATE_KEYS
                        else (bool, "“是”或“否”") if key in _FLAG_KEYS else (str, "文本"))
        if value is not None and not isinstance(value, kind):
            out.append(Problem(key, "FIELD_INVALID", f"{MEMBER_LABELS[key]}应为{wanted}"))
            r[key] = None
    for key, table in _CODED:
        if not _blank(r[key]):
            out += codes.check_code(table, r[key], key, MEMBER_LABELS[key])
    for key, allowed in _CHOICES:
        if not _blank(r[key]) and r[key] not in allowed:
            out.append(Problem(key, "VALUE_NOT_ALLOWED",
                               f"{MEMBER_LABELS[key]}“{r[key]}”无效，应为{'或'.join(allowed)}"))
    out += _check_identity(r, today)
    out += _check_contact(r)
    out += party_dates.check_party_dates(r["birth_date"], r["joined_on"], r["full_on"],
                                         r["member_type"], today)
    out += _check_status(r, today)
    return out


def _check_identity(r: dict[str, Any], today: date) -> list[Problem]:
    out: list[Problem] = []
    birth = r["birth_date"]
    if birth is not None and not idcard.EARLIEST_BIRTH <= birth <= today:
        out.append(Problem("birth_date", "BIRTH_DATE_RANGE",
                           f"出生日期 {birth} 不合理：应在1890年以后且不晚于今天"))
    if _blank(r["id_number"]):
        return out
    id18, found = idcard.check_id_number(r["id_number"], today)
    out += found
    if id18 is None:
        return out
    if r["sex"] in fields.SEXES and idcard.sex_from_id(id18) != r["sex"]:
        out.append(Problem("sex", "ID_SEX_MISMATCH",
                           f"性别“{r['sex']}”与公民身份证号不符：身份证号第17位表示"
                           f"“{idcard.sex_from_id(id18)}”（奇数为男，偶数为女）"))
    coded = idcard.birth_from_id(id18)
    if birth is not None and coded is not None and coded != birth:
        out.append(Problem("birth_date", "ID_BIRTH_MISMATCH",
                           f"出生日期 {birth} 与公民身份证号中的出生日期 {coded} 不符"))
    return out


def _check_contact(r: dict[str, Any]) -> list[Problem]:
    out: list[Problem] = []
    if not _blank(r["mobile"]):
        out += phones.check_mobile(r["mobile"])
    if not _blank(r["landline"]):
        out += phones.check_landline(r["landline"])
    if _blank(r["mobile"]) and _blank(r["landline"]):
        # A phone is how the member confirms (and the form's item 12), so it is an error; for
        # members out of contact or suspended it cannot be known, and the notice lets it wait.
        unreachable = r["is_lost"] is True or r["party_status"] == fields.SUSPENDED_STATUS
        out.append(Problem("mobile", "PHONE_MISSING", "手机号和固定电话至少应填一项",
                           WARNING if unreachable else ERROR))
    address = r["address"]
    if not _blank(address) and not _HOUSE_NUMBER.search(address):
        out.append(Problem("address", "ADDRESS_NO_HOUSE_NUMBER",
                           "家庭住址应具体到门牌号（如“12号”“3栋2单元501室”“5组”）", WARNING))
    return out


def _check_status(r: dict[str, Any], today: date) -> list[Problem]:
    out: list[Problem] = []
    suspended = r["party_status"] == fields.SUSPENDED_STATUS
    if suspended and r["member_type"] == fields.PROBATIONARY_MEMBER:
        out.append(Problem("party_status", "PROBATIONARY_SUSPENDED",
                           "预备党员不能停止党籍：失去联系的预备党员应取消预备党员资格"))
    if suspended and r["is_lost"] is False:
        out.append(Problem("party_status", "SUSPENDED_NOT_LOST",
                           "党籍状态为停止党籍，但未标为失联党员，请核实", WARNING))
    lost_since = r["lost_since"]
    if r["is_lost"] is True:
        if _blank(lost_since):
            out.append(_missing("lost_since", MEMBER_LABELS, hint="（失联党员必填，填到年月）"))
        else:
            out += _check_lost_since(lost_since, r["joined_on"], suspended, today)
    elif r["is_lost"] is False and not _blank(lost_since):
        out.append(Problem("lost_since", "LOST_SINCE_UNEXPECTED",
                           "不是失联党员，不应填写失去联系日期"))
    flow_to = r["flow_to"]
    if r["is_floating"] is True:
        if _blank(flow_to):
            out.append(_missing("flow_to", MEMBER_LABELS, hint="（流动党员必填，具体到县）"))
        else:
            out += divisions.check_flow(flow_to)
    elif r["is_floating"] is False and not _blank(flow_to):
        out.append(Problem("flow_to", "FLOW_TO_UNEXPECTED",
                           "不是流动党员，却填写了外出流向，请核实", WARNING))
    return out


def _check_lost_since(value: str, joined: date | None, suspended: bool, today: date
                      ) -> list[Problem]:
    m = _YEAR_MONTH.fullmatch(value)
    if m is None:
        return [Problem("lost_since", "LOST_SINCE_FORMAT",
                        "失去联系日期应为“年-月”，如 2016-03")]
    month = (int(m[1]), int(m[2]))
    if month > (today.year, today.month):
        return [Problem("lost_since", "LOST_SINCE_RANGE", f"失去联系日期 {value} 晚于本月")]
    if joined is not None and month < (joined.year, joined.month):
        return [Problem("lost_since", "LOST_SINCE_RANGE",
                        f"失去联系日期 {value} 早于加入党组织日期 {joined}")]
    months_lost = (today.year - month[0]) * 12 + today.month - month[1]
    if suspended and months_lost < 6:
        return [Problem("party_status", "SUSPENDED_LOST_LT_6_MONTHS",
                        f"失联不满6个月（自 {value}）即停止党籍，请核实：失联满6个月仍无法取得"
                        "联系的才予以停止党籍", WARNING)]
    return []


def _text(value: Any) -> str | None:
    # Org sheets arrive less tidy than member records (a unit code may be a number): read as text.
    return None if _blank(value) else str(value).strip()


def validate_org(org: dict[str, Any], units: list[dict[str, Any]], today: date
                 ) -> list[Problem]:
    """Return every problem in an org record (附件1 items 1-6) and its units (items 7-10)."""
    del today  # no org item is a date yet; kept so both validators are called alike
    v = {f.key: _text(org.get(f.key)) for f in fields.ORG_FIELDS}
    out = [_missing(k, ORG_LABELS) for k in ("name", "org_type", "unit_situation") if not v[k]]
    out += [_missing(k, ORG_LABELS, WARNING) for k in ("secretary", "contact", "contact_phone")
            if not v[k]]
    if phone := v["contact_phone"]:
        out += phones.check_phone(phone, "contact_phone", ORG_LABELS["contact_phone"])
    if org_type := v["org_type"]:
        out += codes.check_code(codes.ORG_TYPES, org_type, "org_type", ORG_LABELS["org_type"])
    situation = v["unit_situation"]
    if situation and situation not in fields.UNIT_SITUATIONS:
        out.append(Problem("unit_situation", "VALUE_NOT_ALLOWED",
                           f"党组织所在单位情况“{situation}”无效，应为"
                           f"{'、'.join(fields.UNIT_SITUATIONS)}之一"))
    out += _check_unit_count(situation, org_type, len(units))
    for i, unit in enumerate(units):
        out += _check_unit(unit, i, situation == fields.JOINT_UNITS)
    return out


def _check_unit_count(situation: str | None, org_type: str | None, n: int) -> list[Problem]:
    joint_type = org_type in codes.JOINT_ORG_TYPES
    if situation == fields.SAME_AS_PARENT:
        return [] if n == 0 else [Problem("units", "UNITS_NOT_EXPECTED",
                                          "勾选“与上级党组织相同”时不用填写所在单位信息，请删除"
                                          "所填单位或改选“法人单位”", WARNING)]
    if situation == fields.LEGAL_ENTITY:
        out = [] if n == 1 else [Problem("units", "UNIT_COUNT",
                                         f"勾选“法人单位”时应填写1个所在单位，实填{n}个")]
        if joint_type:
            out.append(Problem("unit_situation", "JOINT_UNIT_SITUATION",
                               "组织类别为联合党支部，所在单位情况一般应勾选“联合支部”"
                               "并填写各共建单位", WARNING))
        return out
    if situation != fields.JOINT_UNITS:
        return []
    out = [] if n >= 2 else [Problem("units", "UNIT_COUNT",
                                     f"联合支部应填写2个及以上所在单位，实填{n}个")]
    if n > MAX_JOINT_UNITS:
        out.append(Problem("units", "JOINT_TOO_MANY_UNITS",
                           f"联合党支部覆盖单位一般不超过{MAX_JOINT_UNITS}个（支部工作条例第五条），"
                           f"实有{n}个，请核实", WARNING))
    if org_type and not joint_type:
        out.append(Problem("org_type", "JOINT_ORG_TYPE",
                           "所在单位情况为“联合支部”，组织类别一般应为632 联合党支部或"
                           "932 临时联合党支部", WARNING))
    return out


def _check_unit(unit: dict[str, Any], i: int, joint: bool) -> list[Problem]:
    v = {f.key: _text(unit.get(f.key)) for f in fields.UNIT_FIELDS}
    found = [_missing(k, UNIT_LABELS) for k in ("name", "unit_type", "party_org_status")
             if not v[k]]
    for key, table in (("unit_type", codes.UNIT_TYPES), ("party_org_status", codes.UNIT_PARTY_ORG)):
        if value := v[key]:
            found += codes.check_code(table, value, key, UNIT_LABELS[key])
    status = v["party_org_status"]
    if joint and status in codes.UNIT_PARTY_ORG and status != codes.JOINT_PARTY_ORG_STATUS:
        found.append(Problem("party_org_status", "UNIT_PARTY_ORG_STATUS",
                             "联合支部的共建单位，单位建立党组织情况一般应为“2 建立联合党支部的”",
                             WARNING))
    if code := v["unit_code"]:
        found += unitcode.check_unit_code(code)
    else:
        found.append(_missing("unit_code", UNIT_LABELS, hint="（单位确无代码的填“0”）"))
    which = f"第{i + 1}个所在单位" + (f"（{v['name']}）" if v["name"] else "")
    return [replace(p, field=f"units[{i}].{p.field}", message=f"{which}：{p.message}")
            for p in found]
