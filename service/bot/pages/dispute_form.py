"""The member's dispute form: one friendly input per item, and reading it back as codes.

Coded items are choices (the member picks "大学本科", the request holds "21"); dates come from
date pickers or are typed as 1975-03-08 / 1975年3月8日. What a member proposes is checked only
for its own form here; whether it fits the rest of the record is the branch admin's review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict

from service.bot.pages.card_view import CODED, DATE_KEYS, FLAG_KEYS, display, masked_value
from service.clock import today_local
from service.records import divisions
from service.records.fields import (
    MEMBER_FIELDS,
    MEMBER_LABELS,
    MEMBER_TYPES,
    PARTY_STATUSES,
    SENSITIVE_MEMBER_KEYS,
    SEXES,
)
from service.records.idcard import check_id_number
from service.records.phones import normalize_landline, normalize_mobile

_WORDS: dict[str, tuple[str, ...]] = {
    "sex": SEXES, "member_type": MEMBER_TYPES, "party_status": PARTY_STATUSES,
    "is_lost": ("是", "否"), "is_floating": ("是", "否"),
}
_LIMITS = {"name": 64, "address": 255, "branch": 200}
NOTE_LIMIT = 500
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_MONTH = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")


@dataclass(frozen=True)
class Input:
    """One item of the form: how to ask for it and what it holds now."""

    key: str
    item: int
    label: str
    kind: str  # select, date, month, tel, text
    current: str  # as shown on the card (masked for personal numbers)
    value: str = ""  # what the input starts with
    options: list[tuple[str, str]] = field(default_factory=list)


def inputs(items: dict[str, Any], form: MultiDict[str, str] | None = None) -> list[Input]:
    """Return the form's inputs, filled from a submitted ``form`` or else the card."""
    out = []
    for f in MEMBER_FIELDS:
        raw = items.get(f.key)
        sensitive = f.key in SENSITIVE_MEMBER_KEYS
        start = "" if sensitive else _start_value(f.key, raw)
        if form is not None:
            start = form.get(f"v_{f.key}", start)
        current = masked_value(f.key, raw) if sensitive and raw else display(f.key, raw)
        kind, options = _kind(f.key)
        out.append(Input(f.key, f.item, f.label, kind, current, start, options))
    return out


def parse(
    form: MultiDict[str, str], items: dict[str, Any]
) -> tuple[dict[str, str], str | None, list[str]]:
    """Return (proposed values as canonical strings, note, errors naming the item)."""
    errors: list[str] = []
    proposed: dict[str, str] = {}
    for key in dict.fromkeys(form.getlist("field")):
        if key not in MEMBER_LABELS:
            errors.append("无法识别的信息项，请刷新页面后重试")
            continue
        label = MEMBER_LABELS[key]
        raw = form.get(f"v_{key}", "").strip()
        if not raw:
            errors.append(f"请填写“{label}”的正确内容（不清楚的可写在下方说明中，并取消勾选该项）")
            continue
        value, error = _read(key, raw)
        if error:
            errors.append(f"“{label}”{error}")
        elif value == _start_value(key, items.get(key)):
            errors.append(f"“{label}”填写的内容与原信息相同，如无误请取消勾选该项")
        else:
            proposed[key] = value
    note = form.get("note", "").strip() or None
    if note and len(note) > NOTE_LIMIT:
        errors.append(f"说明不能超过{NOTE_LIMIT}字")
    if not errors and not proposed and not note:
        errors.append("请勾选有误的信息项并填写正确内容，或在说明中写明哪里有误")
    return proposed, note, errors


def _kind(key: str) -> tuple[str, list[tuple[str, str]]]:
    if key in CODED:
        return "select", [(c, n) for c, n in CODED[key].leaves()]
    if key in _WORDS:
        return "select", [(w, w) for w in _WORDS[key]]
    if key in DATE_KEYS:
        return "date", []
    if key == "lost_since":
        return "month", []
    if key in ("mobile", "landline"):
        return "tel", []
    return "text", []


def _start_value(key: str, raw: Any) -> str:
    if key in FLAG_KEYS:
        return "是" if raw else "否"
    return "" if raw in (None, "") else str(raw)


def _read(key: str, raw: str) -> tuple[str, str | None]:
    """Return (canonical value, None) or ("", the reason it cannot be read)."""
    kind, options = _kind(key)
    if kind == "select":
        return (raw, None) if raw in {v for v, _ in options} else ("", "请从列表中选择")
    if kind == "date":
        m = _DATE.fullmatch(raw)
        try:
            d = date(int(m[1]), int(m[2]), int(m[3])) if m else date.fromisoformat(raw)
        except ValueError:
            return "", "不是有效的日期，请按“1975-03-08”的样式填写"
        if d > today_local():
            return "", "不能晚于今天"
        return d.isoformat(), None
    if kind == "month":
        m = _MONTH.fullmatch(raw)
        if not m or not 1 <= int(m[2]) <= 12:
            return "", "请按“2015-03”的样式填写年月"
        return f"{m[1]}-{int(m[2]):02d}", None
    if key == "mobile":
        mobile = normalize_mobile(raw)
        return (mobile, None) if mobile else ("", "应为11位手机号码")
    if key == "landline":
        landline = normalize_landline(raw)
        return (landline, None) if landline else ("", "应写成“区号-号码”，如 0571-87654321")
    if key == "id_number":
        id18, problems = check_id_number(raw, today_local())
        errors = [p.message for p in problems if p.severity == "error"]
        return (id18, None) if id18 and not errors else ("", "有误：" + "；".join(errors))
    if key == "flow_to":
        code = divisions.parse_flow(raw)
        return (code, None) if code else ("", "无法识别，请写省、市、县名称，如 浙江省杭州市西湖区")
    limit = _LIMITS.get(key, 100)
    return (raw, None) if len(raw) <= limit else ("", f"不能超过{limit}字")
