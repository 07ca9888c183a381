"""Admin web pages and their JSON endpoints, by role.

Adding a page module: give it ``bp = Blueprint("admin_<name>", __name__, url_prefix="/admin")``,
add the module to ``BLUEPRINT_MODULES`` and, for the top navigation, an entry to ``NAV``
(endpoint, label, roles; entries whose endpoint is not registered are skipped). Every
``/admin/…`` request gets the signed-in user (views call ``auth.signed_in_user()``), the
app-wide CSRF check on writes (``service.csrf``), and must use the scoped queries of ``scope``.
"""

from __future__ import annotations

import importlib
from typing import Any

from flask import Flask, current_app

from service.models.admin_user import (
    BRANCH_ADMIN,
    COLLECTOR,
    COMMITTEE_ADMIN,
    ORG_DEPARTMENT,
    ROLES,
)

ALL_ROLES = (ORG_DEPARTMENT, COMMITTEE_ADMIN, BRANCH_ADMIN, COLLECTOR)

# Modules under service.admin that define ``bp``; registered in this order.
BLUEPRINT_MODULES = [
    "auth",
    "dashboard",
    "members",
    "corrections",
    "collector",
    "evidence_files",  # opening kept files from a member's record
    "inbox",  # the queue of unmatched member replies
    "imports",
    "exports",
    "review",
    "sampling",
    "audit_log",
    "calendar",
]

# Top navigation: (endpoint, label, roles that see it).
NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("admin_dashboard.index", "工作进度", ALL_ROLES),
    ("admin_members.index", "党员信息", ALL_ROLES),
    ("admin_corrections.index", "修改申请", (COMMITTEE_ADMIN, BRANCH_ADMIN, ORG_DEPARTMENT)),
    ("admin_collector.index", "代为确认", (COMMITTEE_ADMIN, BRANCH_ADMIN, COLLECTOR)),
    ("admin_inbox.index", "党员回复", ALL_ROLES),
    ("admin_imports.index", "导入", (COMMITTEE_ADMIN,)),
    ("admin_exports.index", "导出打印", (ORG_DEPARTMENT, COMMITTEE_ADMIN, BRANCH_ADMIN)),
    ("admin_review.index", "回头看", (ORG_DEPARTMENT, COMMITTEE_ADMIN, BRANCH_ADMIN)),
    ("admin_sampling.index", "验收抽查", (ORG_DEPARTMENT,)),
    ("admin_audit.index", "审计日志", (ORG_DEPARTMENT, COMMITTEE_ADMIN)),
    ("admin_calendar.index", "节假日", (ORG_DEPARTMENT, COMMITTEE_ADMIN)),
]


def register_blueprints(app: Flask) -> None:
    """Register every admin blueprint on ``app``, with sign-in and navigation."""
    from service.admin import auth, common

    common.init_app(app)
    auth.init_app(app)  # before the app's CSRF check: refusals and views know who is signed in
    for name in BLUEPRINT_MODULES:
        app.register_blueprint(importlib.import_module(f"{__name__}.{name}").bp)
    app.jinja_env.globals["admin_nav"] = _nav
    app.jinja_env.globals["admin_roles"] = ROLES


def _nav(user: Any) -> list[tuple[str, str]]:
    """Return the navigation entries ``user`` sees: (endpoint, label)."""
    views = current_app.view_functions
    return [(e, label) for e, label, roles in NAV if user.role in roles and e in views]
