"""Admin 节假日 page: a year's days off and make-up working days with their source, and the
upload of a holiday file (committee admins; the organisation department may look)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from service.admin import scope
from service.admin.auth import login_required, requester, signed_in_user
from service.admin.common import campaigns_for
from service.clock import today_local
from service.errors import ServiceError
from service.holidays.coverage import campaign_notice
from service.holidays.files import FORMAT_HELP, HolidayFileError, read_days
from service.holidays.store import import_days, year_days, year_statement
from service.models import AdminUser
from service.models.campaign import OPEN
from service.unit_of_work import run_unit

bp = Blueprint("admin_calendar", __name__, url_prefix="/admin")
MAX_BYTES = 1024 * 1024  # a year is a few dozen lines
SUFFIXES = (".txt", ".xlsx")


def _year() -> int:
    year = request.args.get("year", type=int)
    return year if year is not None and 2000 <= year <= 2099 else today_local().year


def _page(user: AdminUser, year: int, problems: list[str] | None = None) -> str:
    notices = [(c, n) for c in campaigns_for(user) if c.status == OPEN
               for n in [campaign_notice(c)] if n]
    return render_template(
        "admin/calendar.html", year=year, days=year_days(year), statement=year_statement(year),
        notices=notices, problems=problems or [], can_import=scope.can(user, "calendar_import"),
        format_help=FORMAT_HELP)


@bp.get("/calendar")
@login_required
def index() -> str:
    """Show the chosen year's 放假 and 上班 days, and the upload form."""
    return _page(signed_in_user("calendar_view"), _year())


@bp.post("/calendar")
@login_required
def upload() -> Any:
    """Import an uploaded holiday file: every line right, or nothing written."""
    user = signed_in_user("calendar_import")
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ServiceError("请选择要上传的节假日文件（.txt 或 .xlsx）")
        if not upload.filename.lower().endswith(SUFFIXES):
            raise ServiceError(f"“{upload.filename}”不是 .txt 或 .xlsx 文件")
        data = upload.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise ServiceError("文件太大：节假日文件不能超过 1MB")
        days = read_days(upload.filename, data)
        name, who = upload.filename, requester()
        # run_unit: two admins importing the same new day meet at the unique index; the
        # loser runs again and replaces the winner's row instead of failing.
        result = run_unit(lambda: import_days(days, actor=who.actor, source=name, ip=who.ip,
                                              user_agent=who.user_agent))
    except HolidayFileError as exc:
        return _page(user, _year(), exc.problems), 400
    except ServiceError as exc:
        return _page(user, _year(), [exc.message]), 400
    flash(result.summary(), "success")
    return redirect(url_for(".index", year=result.years[0]))
