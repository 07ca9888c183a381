"""A member record for people: labels, code names, masked numbers; and the edit form's parser."""

from __future__ import annotations

from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict

from service.clock import today_local
from service.errors import ServiceError
from service.records import codes, divisions, fields
from service.records.fields import MEMBER_FIELDS, MEMBER_LABELS, SENSITIVE_MEMBER_KEYS
from service.records.idcard import mask_id, normalize_id
from service.records.phones import mask_phone, normalize_landline, normalize_mobile
from service.records.validate import validate_member

DATE_KEYS = ("birth_date", "joined_on", "full_on")
FLAG_KEYS = ("is_lost", "is_floating")
CODE_TABLES = {"ethnicity": codes.ETHNICITIES, "education": codes.EDUCATION, "job": codes.JOBS}
CHOICES = {"sex": fields.SEXES, "member_type": fields.MEMBER_TYPES,
           "party_status": fields.PARTY_STATUSES}
EDITABLE = tuple(f.key for f in MEMBER_FIELDS if f.key != "branch")  # transfers are elsewhere


def masked(key: str, value: Any) -> str:
    """Return a sensitive value masked for the screen."""
    if not value:
        return ""
    return mask_id(str(value)) if key == "id_number" else mask_phone(str(value))


def text_of(key: str, value: Any, *, reveal: frozenset[str] = frozenset()) -> str:
    """Return one item's value as a person reads it (code names, 是/否, masked numbers)."""
    if value is None or value == "":
        return ""
    if key in SENSITIVE_MEMBER_KEYS and key not in reveal:
        return masked(key, value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return value.isoformat()
    if key in CODE_TABLES:
        name = CODE_TABLES[key].name_of(str(value))
        return f"{name}（{value}）" if name else str(value)
    if key == "flow_to":
        return divisions.name_of(str(value)) or str(value)
    return str(value)


def display_rows(record: dict[str, Any], reveal: frozenset[str] = frozenset()
                 ) -> list[tuple[str, str, str]]:
    """Return (key, label, text) for the 16 items in form order."""
    return [(f.key, f.label, text_of(f.key, record.get(f.key), reveal=reveal))
            for f in MEMBER_FIELDS]


def parse_form(form: MultiDict[str, str], current: dict[str, Any]) -> dict[str, Any]:
    """Turn the edit form into a canonical record (blank personal numbers keep the old ones)
    and refuse it, naming every wrong item, unless it passes the record validators."""
    record = dict(current)
    problems: list[str] = []
    for key in EDITABLE:
        raw = (form.get(key) or "").strip()
        if key in SENSITIVE_MEMBER_KEYS:
            if not raw:
                continue  # the form shows these masked: blank means "unchanged"
            record[key] = _number(key, raw)
        elif key in DATE_KEYS:
            try:
                record[key] = date.fromisoformat(raw) if raw else None
            except ValueError:
                problems.append(f"{MEMBER_LABELS[key]}“{raw}”不是有效日期（应为 YYYY-MM-DD）")
        elif key in FLAG_KEYS:
            if raw not in ("是", "否"):
                problems.append(f"{MEMBER_LABELS[key]}应选“是”或“否”")
            record[key] = raw == "是"
        else:
            record[key] = raw or None
    if not problems:
        problems = [p.message for p in validate_member(record, today_local()) if p.is_error]
    if problems:
        raise ServiceError("信息有误，未保存：" + "；".join(problems))
    return record


def _number(key: str, raw: str) -> str:
    if key == "id_number":
        return normalize_id(raw)
    normal = normalize_mobile(raw) if key == "mobile" else normalize_landline(raw)
    return normal or raw  # unparseable: the validators name the problem
