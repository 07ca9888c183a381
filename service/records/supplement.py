"""待补充: the items a lost (失联) or suspended (停止党籍) member may be collected without.

The notices let collectors take down what is known of members out of contact (可先采集已知信息)
and fill the rest in later. Such a record is valid with these items blank; it is marked
待补充 with the blank ones listed, and every rule applies again to a value once it is given.
"""

from __future__ import annotations

from typing import Any

from service.records import fields

# In the form's order. A phone is one item (手机号 or 固定电话), named by its mobile key.
ITEMS = ("id_number", "education", "job", "mobile", "address")
LABEL = "待补充"
PHONE_LABEL = "联系电话"


def may_supplement(record: dict[str, Any]) -> bool:
    """Tell whether the record is a member who may be collected with what is known."""
    return record.get("is_lost") is True or \
        record.get("party_status") == fields.SUSPENDED_STATUS


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def missing_items(record: dict[str, Any]) -> list[str]:
    """Return the keys of the items still to be supplied (empty unless may_supplement)."""
    if not may_supplement(record):
        return []
    out = []
    for key in ITEMS:
        values = (record.get("mobile"), record.get("landline")) if key == "mobile" \
            else (record.get(key),)
        if all(_blank(v) for v in values):
            out.append(key)
    return out


def item_label(key: str) -> str:
    """Return the Chinese name of an item to supply ("联系电话" for the phone)."""
    return PHONE_LABEL if key == "mobile" else fields.MEMBER_LABELS.get(key, key)


def describe(keys: list[str] | None) -> str:
    """Say which items are missing: "公民身份证号、学历"."""
    return "、".join(item_label(k) for k in keys or ())
