"""Jinja filters that show stored codes on the admin pages by their Chinese names
(the tables are in ``service.labels``)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from service import labels
from service.extensions import db
from service.models import AdminUser
from service.records import codes, divisions, supplement
from service.records.fields import MEMBER_LABELS

_CODE_TABLES = {"ethnicity": codes.ETHNICITIES, "education": codes.EDUCATION, "job": codes.JOBS,
                "org_type": codes.ORG_TYPES, "unit_type": codes.UNIT_TYPES,
                "party_org_status": codes.UNIT_PARTY_ORG}


def actor_name(actor: str | None) -> str:
    """Say who did something: "党支部管理员 张三" for "admin:5", "党员本人" for "member:…"."""
    if not actor:
        return ""
    kind, _, rest = actor.partition(":")
    account = None
    if kind == "admin" and rest.isdigit():
        user = db.session.get(AdminUser, int(rest))  # the session's identity map caches it
        account = (user.role, user.display_name) if user is not None else None
    return labels.actor_text(actor, account)


def field_labels(keys: Any) -> str:
    """Join member field keys as their names: "家庭住址、手机号"."""
    return "、".join(labels.label(MEMBER_LABELS, k) for k in keys or ())


def coded(value: Any, table: str) -> str:
    """Show a code of one of the official code tables as "名称（代码）"."""
    if value is None or value == "":
        return ""
    if table == "flow_to":  # a division code; its full name says it all
        return divisions.name_of(str(value)) or str(value)
    name = _CODE_TABLES[table].name_of(str(value))
    return f"{name}（{value}）" if name else str(value)


def init_app(app: Flask) -> None:
    """Register one filter per kind of code."""
    tables = {
        "channel": labels.CHANNEL_LABELS, "identity": labels.IDENTITY_LABELS,
        "method": labels.METHOD_LABELS, "evidence_kind": labels.EVIDENCE_KIND_LABELS,
        "audit_action": labels.AUDIT_ACTION_LABELS, "target_type": labels.TARGET_TYPE_LABELS,
        "version_source": labels.VERSION_SOURCE_LABELS,
        "message_kind": labels.MESSAGE_KIND_LABELS, "field_label": MEMBER_LABELS,
    }
    for name, table in tables.items():
        app.jinja_env.filters[name] = lambda code, table=table: labels.label(table, code)
    app.jinja_env.filters["actor"] = actor_name
    app.jinja_env.filters["field_labels"] = field_labels
    app.jinja_env.filters["audit_details"] = labels.detail_items
    app.jinja_env.filters["coded"] = coded
    app.jinja_env.filters["supplement_items"] = supplement.describe
