"""Admin 修改申请 pages (being built)."""

from __future__ import annotations

from flask import Blueprint, render_template

from service.admin.auth import login_required

bp = Blueprint("admin_corrections", __name__, url_prefix="/admin")


@bp.get("/corrections" if "corrections" != "dashboard" else "/")
@login_required
def index() -> str:
    """Show the page."""
    return render_template("admin/placeholder.html", title="修改申请")
