"""The 16 items of a card as a member reads them: plain Chinese, codes as names, numbers masked."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from service.records import divisions
from service.records.codes import EDUCATION, ETHNICITIES, JOBS, CodeTable
from service.records.fields import MEMBER_FIELDS, SENSITIVE_MEMBER_KEYS
from service.records.idcard import mask_id
from service.records.phones import mask_phone

CODED: dict[str, CodeTable] = {"ethnicity": ETHNICITIES, "education": EDUCATION, "job": JOBS}
DATE_KEYS = frozenset({"birth_date", "joined_on", "full_on"})
FLAG_KEYS = frozenset({"is_lost", "is_floating"})
EMPTY = "未填写"
_DETAIL_OF = {"lost_since": "is_lost", "flow_to": "is_floating"}  # shown when the flag is set


@dataclass(frozen=True)
class Row:
    """One line of the card: item number, label and the value as shown."""

    key: str
    item: int
    label: str
    value: str
    masked: bool = False
    old: str | None = None  # the value on the member's previous card, when it changed


def rows(items: dict[str, Any], *, full: bool = False) -> list[Row]:
    """Return the card's lines in form order; ID number and phones masked unless ``full``."""
    out = []
    for f in MEMBER_FIELDS:
        raw = items.get(f.key)
        if f.key in _DETAIL_OF and not items.get(_DETAIL_OF[f.key]) and raw in (None, ""):
            continue  # "失去联系日期" of a member who is not lost: nothing to check
        masked = f.key in SENSITIVE_MEMBER_KEYS and not full and bool(raw)
        text = masked_value(f.key, raw) if masked else display(f.key, raw)
        out.append(Row(f.key, f.item, f.label, text, masked))
    return out


def changed_first(items: dict[str, Any], previous: dict[str, Any] | None, *,
                  full: bool = False) -> list[Row]:
    """Return the card's lines with those that changed since ``previous`` first, old beside new.

    A re-issued card (after a correction or a re-import) leads with what is different, so an
    elderly member does not have to find it among 16 lines.
    """
    lines = rows(items, full=full)
    if previous is None:
        return lines
    before = {r.key: r for r in rows(previous, full=full)}
    changed = [replace(r, old=before[r.key].value if r.key in before else EMPTY) for r in lines
               if previous.get(r.key) != items.get(r.key)]
    return changed + [r for r in lines if previous.get(r.key) == items.get(r.key)]


def display(key: str, value: Any) -> str:
    """Return a canonical record value as a person reads it."""
    if key in FLAG_KEYS:
        return "是" if value else "否"
    if value in (None, ""):
        return EMPTY
    if key in CODED:
        return CODED[key].name_of(str(value)) or str(value)
    if key in DATE_KEYS:
        return long_date(value)
    if key == "lost_since":
        year, _, month = str(value).partition("-")
        return f"{year}年{int(month)}月" if month.isdigit() else str(value)
    if key == "flow_to":
        return divisions.name_of(str(value)) or str(value)
    return str(value)


def masked_value(key: str, value: Any) -> str:
    """Return a personal number with its middle starred."""
    if value in (None, ""):
        return EMPTY
    return mask_id(str(value)) if key == "id_number" else mask_phone(str(value))


def long_date(value: date | str) -> str:
    """Return "1975年3月8日" for a date or an ISO date string."""
    try:
        d = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{d.year}年{d.month}月{d.day}日"


def proposed_rows(proposed: dict[str, str]) -> list[Row]:
    """Return what a member proposed, as lines (personal numbers masked)."""
    out = []
    for f in MEMBER_FIELDS:
        if f.key not in proposed:
            continue
        value = proposed[f.key]
        if f.key in SENSITIVE_MEMBER_KEYS:
            out.append(Row(f.key, f.item, f.label, masked_value(f.key, value), True))
        elif f.key in FLAG_KEYS:
            out.append(Row(f.key, f.item, f.label, value))
        else:
            out.append(Row(f.key, f.item, f.label, display(f.key, value)))
    return out
