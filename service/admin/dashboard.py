"""Admin 工作进度 pages (being built)."""

from __future__ import annotations

from flask import Blueprint, render_template

from service.admin.auth import login_required

bp = Blueprint("admin_dashboard", __name__, url_prefix="/admin")


@bp.get("/dashboard" if "dashboard" != "dashboard" else "/")
@login_required
def index() -> str:
    """Show the page."""
    return render_template("admin/placeholder.html", title="工作进度")
