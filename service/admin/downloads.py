"""Shared by the export, import and review pages: private temporary-file downloads, org
pickers, the local-time filter."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import IO, Any

from flask import Blueprint, Response, send_file
from sqlalchemy import select

from service.admin import scope
from service.clock import format_local
from service.extensions import db
from service.models import AdminUser, Org
from service.records.xlsx_crypto import encrypt_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
ZIP = "application/zip"
MAX_PICKER = 3000  # orgs listed in a picker; a province-wide list is typed, not scrolled


def add_filters(bp: Blueprint) -> None:
    """Give templates ``local_time`` (UTC in the database, Asia/Shanghai on screen)."""
    bp.add_app_template_filter(lambda moment: format_local(moment) if moment else "",
                               "local_time")


def send_built(write: Callable[[IO[bytes]], Any], *, filename: str, mimetype: str,
               password: str | None = None) -> tuple[Response, Any]:
    """Build a download with write into an anonymous temporary file (encrypted with password
    when given) and stream it; return the response and what write returned.

    The file has no name on disk and disappears when the response is closed, so a plain
    workbook never lingers anywhere.
    """
    plain = tempfile.TemporaryFile()
    try:
        result = write(plain)
        plain.seek(0)
        if password:
            locked = tempfile.TemporaryFile()
            encrypt_workbook(plain, locked, password)
            plain.close()
            plain = locked
            plain.seek(0)
    except BaseException:
        plain.close()
        raise
    return send_file(plain, mimetype=mimetype, as_attachment=True, download_name=filename), result


def org_choices(user: AdminUser) -> list[Org]:
    """Return the orgs the user may pick, in tree order."""
    return list(db.session.scalars(scope.org_query(user).order_by(Org.path).limit(MAX_PICKER)))


def picked_org(user: AdminUser, raw: str | None) -> Org:
    """Return the org chosen in a form (the user's own org when none), within scope or 404."""
    if not raw:
        return user.org
    try:
        org_id = int(raw)
    except ValueError:
        org_id = 0
    return scope.get_org(user, org_id)


def depth(org: Org) -> int:
    """Return how deep org sits in the tree (root = 0), for indenting pickers."""
    return max(org.path.strip("/").count("/"), 0)


def root_orgs() -> list[Org]:
    """Return the orgs without a parent."""
    return list(db.session.scalars(select(Org).where(Org.parent_id.is_(None)).order_by(Org.id)))
