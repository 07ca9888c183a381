"""The 节假日 admin page (list a year, upload a file all or nothing) and the dashboard's notice
for a campaign reaching a year no holiday source knows."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import select

from service.extensions import db
from service.models import AuditLog, CalendarDay
from testkit.admin import make_world, post, sign_in
from tests.reminder_helpers import controlled_clock
from tests.test_calendar import SPRING_2031
from tests.test_holiday_files import xlsx


def upload(client: Any, name: str, data: bytes, year: int = 2031) -> Any:
    return post(client, f"/admin/calendar?year={year}", {"file": (io.BytesIO(data), name)},
                content_type="multipart/form-data")


def days(app: Flask) -> dict[date, str]:
    with app.app_context():
        return {d.day: d.name for d in db.session.scalars(select(CalendarDay))}


def test_committee_admin_uploads_a_text_file_and_sees_the_year(app: Flask, client: Any) -> None:
    w = make_world(app)
    sign_in(client, w.users["committee_admin"])
    page = client.get("/admin/calendar?year=2031").get_data(as_text=True)
    assert "2031 年的节假日安排尚未导入" in page and 'type="file"' in page
    assert "节假日" in page and "/admin/calendar" in page  # in the navigation

    r = upload(client, "2031.txt", SPRING_2031.encode())
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/calendar?year=2031")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "已导入 2031 年的节假日安排：新增 8 天" in page
    assert "<td>2031-01-18</td><td>周六</td><td>上班</td><td>春节调休</td><td>导入</td>" in page
    assert "2031 年的节假日安排已导入" in page
    assert len(days(app)) == 8
    with app.app_context():
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "calendar.import"))
        assert entry is not None and entry.actor == f"admin:{w.users['committee_admin']}"
        assert entry.detail["source"] == "2031.txt" and entry.ip is not None


def test_a_bad_upload_is_refused_whole_with_each_line_named(app: Flask, client: Any) -> None:
    w = make_world(app)
    sign_in(client, w.users["committee_admin"])
    bad = (SPRING_2031 + "2031-01-29 放假\n2031/01/30 补假 春节\n").encode()
    r = upload(client, "2031.txt", bad)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "未导入任何日期" in page
    assert "第 10 行 名称：缺少名称" in page and "第 11 行 类型：“补假”无法识别" in page
    assert days(app) == {}

    sheet = xlsx([["日期", "类型", "名称"], ["2031-01-22", "放假", "春节"],
                  ["2031-01-32", "放假", "春节"]])
    r = upload(client, "2031.xlsx", sheet)
    assert r.status_code == 400 and "第 3 行 日期：“2031-01-32”" in r.get_data(as_text=True)
    r = upload(client, "2031.doc", "2031-01-22 放假 春节".encode())
    assert r.status_code == 400 and "不是 .txt 或 .xlsx 文件" in r.get_data(as_text=True)
    assert days(app) == {}

    good = xlsx([["日期", "类型", "名称"], [date(2031, 1, 22), "放假", "春节"]])
    assert upload(client, "2031.xlsx", good).status_code == 302
    assert days(app) == {date(2031, 1, 22): "春节"}


def test_org_department_may_look_others_may_not(app: Flask) -> None:
    w = make_world(app)
    for role, get, write in (("org_department", 200, 403), ("branch_admin", 403, 403),
                             ("collector", 403, 403)):
        client = app.test_client()
        sign_in(client, w.users[role])
        page = client.get("/admin/calendar?year=2026")
        assert page.status_code == get, role
        if get == 200:
            html = page.get_data(as_text=True)
            assert "2026-10-01" in html and 'type="file"' not in html
        assert upload(client, "2031.txt", SPRING_2031.encode()).status_code == write, role
        home = client.get("/admin/").get_data(as_text=True)
        assert ("/admin/calendar" in home) == (role == "org_department"), role
    assert days(app) == {}


def test_dashboard_names_an_unknown_year_to_committee_admins_until_imported(
        app: Flask) -> None:
    with controlled_clock("2031-03-03 09:00"):
        w = make_world(app)  # deadline 30 days on, all in 2031
        admin, branch = app.test_client(), app.test_client()
        sign_in(admin, w.users["committee_admin"])
        sign_in(branch, w.users["branch_admin"])
        notice = "本次工作期限内有 2031 年的节假日安排尚未导入"
        assert notice in admin.get("/admin/").get_data(as_text=True)
        assert notice not in branch.get("/admin/").get_data(as_text=True)
        assert notice in admin.get("/admin/calendar").get_data(as_text=True)
        assert upload(admin, "2031.txt", SPRING_2031.encode()).status_code == 302
        assert notice not in admin.get("/admin/").get_data(as_text=True)
        assert notice not in admin.get("/admin/calendar").get_data(as_text=True)
