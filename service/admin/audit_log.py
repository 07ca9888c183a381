"""Admin 审计日志 viewer: logins, full-ID views, exports, edits and transitions, filterable.

The organisation department reads every entry; a committee admin reads what the staff of
their subtree did and what was done to the members and orgs of their subtree. An
organisation department account's entries show only where the org they touched is in scope,
wherever that account itself sits: its work spans committees.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, jsonify, render_template, request
from sqlalchemy import ColumnElement, Integer, and_, cast, or_, select, true

from service.admin import scope
from service.admin.auth import login_required, signed_in_user
from service.admin.downloads import add_filters
from service.errors import ServiceError
from service.extensions import db
from service.labels import TARGET_TYPE_LABELS
from service.models import AdminUser, AuditLog, Member, Org
from service.models.admin_user import ORG_DEPARTMENT

bp = Blueprint("admin_audit", __name__, url_prefix="/admin")
add_filters(bp)
MAX_PAGE = 10_000
AUDIT_LOG = "audit_log"  # the permission every page here needs


def _actors(where: Any) -> list[str]:
    """Return the "admin:<id>" actors of the admin users matching where.

    Built in Python: a string made in SQL carries the connection's collation on MariaDB,
    which the column's refuses to compare with. Staff lists are short.
    """
    return [f"admin:{i}" for i in db.session.scalars(select(AdminUser.id).where(where))]


def visible(user: AdminUser) -> ColumnElement[bool]:
    """A condition keeping the audit entries the user may read."""
    if scope.sees_everything(user):
        return true()
    # Targets compare as numbers for the same collation reason (type filtered first).
    target = cast(AuditLog.target_id, Integer)
    members = select(Member.id).where(scope.in_scope(Member.org_id, user))
    orgs = select(Org.id).where(scope.in_scope(Org.id, user))
    # Department accounts work across committees: their own org says nothing of what they
    # touched, so their entries show only by the org touched.
    staff = _actors(and_(scope.in_scope(AdminUser.org_id, user),
                         AdminUser.role != ORG_DEPARTMENT))
    by_target = or_(and_(AuditLog.target_type == "member", target.in_(members)),
                    and_(AuditLog.target_type == "org", target.in_(orgs)))
    return or_(AuditLog.actor.in_(staff), AuditLog.org_id.in_(orgs),
               and_(AuditLog.org_id.is_(None), by_target))  # entries from before org_id


def _day(raw: str | None, label: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ServiceError(f"{label}格式应为 年-月-日，如 2017-06-30") from None


def _utc(day: date) -> datetime:
    """Midnight of a local (Asia/Shanghai) day as naive UTC, as the log stores times."""
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    local = datetime.combine(day, time.min, tzinfo=tz)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def query(user: AdminUser, args: Any) -> tuple[Any, dict[str, str]]:
    """Return the filtered select of entries and the filters as given."""
    filters = {k: (args.get(k) or "").strip() for k in
               ("actor", "action", "target_type", "target_id", "since", "until")}
    stmt = select(AuditLog).where(visible(user))
    if filters["actor"]:
        actor = filters["actor"]
        named = _actors(AdminUser.username == actor)
        stmt = stmt.where(AuditLog.actor.in_([actor, *named]))
    if filters["action"]:
        stmt = stmt.where(AuditLog.action == filters["action"])
    if filters["target_type"]:
        stmt = stmt.where(AuditLog.target_type == filters["target_type"])
    if filters["target_id"]:
        stmt = stmt.where(AuditLog.target_id == filters["target_id"])
    since = _day(filters["since"], "起始日期")
    until = _day(filters["until"], "截止日期")
    if since:
        stmt = stmt.where(AuditLog.at >= _utc(since))
    if until:
        stmt = stmt.where(AuditLog.at < _utc(until + timedelta(days=1)))
    return stmt, filters


def _page(user: AdminUser) -> tuple[list[AuditLog], dict[str, str], int, bool]:
    stmt, filters = query(user, request.args)
    size = current_app.config["ADMIN_AUDIT_PAGE_SIZE"]
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    rows = list(db.session.scalars(stmt.order_by(AuditLog.id.desc())
                                   .offset((page - 1) * size).limit(size + 1)))
    return rows[:size], filters, page, len(rows) > size


def _names(entries: list[AuditLog]) -> dict[str, str]:
    """Map "admin:<id>" actors to "display name（user name）"."""
    ids = {int(e.actor[6:]) for e in entries if e.actor.startswith("admin:")
           and e.actor[6:].isdigit()}
    rows = db.session.execute(select(AdminUser.id, AdminUser.display_name, AdminUser.username)
                              .where(AdminUser.id.in_(ids)))
    return {f"admin:{i}": f"{d}（{u}）" for i, d, u in rows}


def entry_dict(e: AuditLog) -> dict[str, Any]:
    """Return one entry as JSON-ready data (details never hold full ID numbers or phones)."""
    return {"id": e.id, "at": e.at.isoformat(timespec="seconds") + "Z", "actor": e.actor,
            "action": e.action, "target_type": e.target_type, "target_id": e.target_id,
            "detail": e.detail, "ip": e.ip}


@bp.get("/audit")
@login_required
def index() -> str:
    """Show a page of audit entries, newest first, with the filters."""
    user = signed_in_user(AUDIT_LOG)
    entries, filters, page, more = _page(user)
    actions = db.session.scalars(select(AuditLog.action).where(visible(user)).distinct()
                                 .order_by(AuditLog.action)).all()
    return render_template("admin/audit.html", entries=entries, filters=filters, page=page,
                           more=more, actions=actions, names=_names(entries),
                           target_types=TARGET_TYPE_LABELS)


@bp.get("/api/audit")
@login_required
def data() -> Any:
    """Return a page of audit entries as JSON, with the same filters."""
    entries, _, page, more = _page(signed_in_user(AUDIT_LOG))
    return jsonify({"page": page, "more": more, "entries": [entry_dict(e) for e in entries]})
