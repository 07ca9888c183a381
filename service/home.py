"""The landing page, the site icon and a health check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template
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
def favicon() -> Response:
    """Serve the site icon where browsers ask for it whatever the page links."""
    return _icon("favicon.ico", "image/vnd.microsoft.icon")


@bp.get("/favicon.svg")
def favicon_svg() -> Response:
    """Serve the site icon as SVG (sharp at any size) for browsers that take it."""
    return _icon("favicon.svg", "image/svg+xml")


def _icon(name: str, mimetype: str) -> Response:
    # Read whole, not streamed from an open file: browsers drop the icon request when the page
    # moves on, and a server that then skips closing the response would leak the file.
    assert current_app.static_folder is not None
    response = Response(Path(current_app.static_folder, name).read_bytes(), mimetype=mimetype)
    response.cache_control.public = True
    response.cache_control.max_age = 7 * 86400
    return response


@bp.get("/healthz")
def healthz() -> Any:
    """Answer whether the app can reach its database."""
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})
