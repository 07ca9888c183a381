"""The landing page, the site icon and a health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, send_from_directory
from sqlalchemy import func, select, text

from service.extensions import db
from service.models import Member, Org

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    """Show the committees on record and how many orgs and members each holds."""
    roots = db.session.scalars(select(Org).where(Org.parent_id.is_(None)).order_by(Org.id)).all()
    counts = []
    for root in roots:
        org_count = db.session.scalar(
            select(func.count()).select_from(Org).where(Org.path.startswith(root.path))
        )
        member_count = db.session.scalar(
            select(func.count()).select_from(Member).join(Org, Member.org_id == Org.id)
            .where(Org.path.startswith(root.path))
        )
        counts.append((root, org_count, member_count))
    return render_template("home.html", counts=counts)


@bp.get("/favicon.ico")
def favicon() -> Any:
    """Serve the site icon where browsers ask for it whatever the page links."""
    assert current_app.static_folder is not None
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=7 * 86400)


@bp.get("/healthz")
def healthz() -> Any:
    """Answer whether the app can reach its database."""
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})
