"""Imports, exports, review, sampling and the audit log driven through real headless Chromium
(screenshots in build/screenshots/admin-*.png)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import func, select

from service.extensions import db
from service.models import AuditLog, Member, Org
from service.records.xlsx_crypto import decrypt_workbook
from testkit.admin import PASSWORD, make_world
from tests.admin_browser import browser_page, live_server, shot, sign_in  # noqa: F401
from tests.xlsx_helpers import person, write_member_roster

pytestmark = pytest.mark.browser


def _branch_name(app: Flask, org_id: int) -> str:
    with app.app_context():
        return db.session.get(Org, org_id).name  # type: ignore[union-attr]


def _count(app: Flask, model: Any, *where: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_committee_admin_imports_with_progress_and_gets_the_error_report(
        app: Flask, live_server: str, browser_page: Any, tmp_path: Path) -> None:  # noqa: F811
    w = make_world(app, members_per_branch=1)
    branch = _branch_name(app, w.branch_ids[0])
    rows = [dict(person(n), 所在党支部=branch) for n in range(1, 41)]
    good = write_member_roster(tmp_path / "支部名册.xlsx", rows)
    page, base = browser_page, live_server
    sign_in(page, base, "committee_admin", PASSWORD)
    page.click("header nav >> text=导入")
    shot(page, "imports")
    page.set_input_files("input[name=file]", str(good))
    page.click("form button[type=submit].primary")
    page.wait_for_selector("#import-job[data-status=done]")
    assert "width: 100%" in (page.locator("#job-bar").get_attribute("style") or "")
    assert "新增 40 人" in page.locator("#job-message").inner_text()
    shot(page, "import-done")
    assert _count(app, Member) == 42

    rows[3]["性别"] = "不详"
    bad = write_member_roster(tmp_path / "有错误的名册.xlsx",
                              [dict(r, 姓名=f"新{r['姓名']}", 公民身份证号=p["公民身份证号"])
                               for r, p in zip(rows, [person(n) for n in range(101, 141)],
                                               strict=True)])
    page.goto(f"{base}/admin/imports")
    page.set_input_files("input[name=file]", str(bad))
    page.click("form button[type=submit].primary")
    page.wait_for_selector("#import-job[data-status=refused]")
    assert "未导入任何数据" in page.locator("#job-message").inner_text()
    shot(page, "import-refused")
    with page.expect_download() as info:
        page.click("#job-report-link")
    with open(info.value.path(), "rb") as report:
        assert load_workbook(report).active.max_column > 20  # the 错误原因 column was added
    assert _count(app, Member) == 42  # all or nothing
    assert _count(app, AuditLog, AuditLog.action == "import.error_report") == 1


def test_committee_admin_downloads_an_encrypted_roster(
        app: Flask, live_server: str, browser_page: Any, tmp_path: Path) -> None:  # noqa: F811
    w = make_world(app, members_per_branch=2)
    page, base = browser_page, live_server
    sign_in(page, base, "committee_admin", PASSWORD)
    page.click("header nav >> text=导出打印")
    shot(page, "exports")
    form = page.locator("form[action$='/exports/members.xlsx']")
    form.locator("input[name=password]").fill("baosong-2017")
    form.locator("input[name=password2]").fill("baosong-2017")
    with page.expect_download() as info:
        form.locator("button[type=submit]").click()
    assert info.value.suggested_filename.startswith("党员基本信息汇总表")
    plain = tmp_path / "plain.xlsx"
    with open(info.value.path(), "rb") as locked, open(plain, "wb") as out:
        decrypt_workbook(locked, out, "baosong-2017")
    assert load_workbook(plain).active.max_row >= 6 + 4 - 1
    # The same form works again after a download (the button comes back).
    page.wait_for_function(
        "!document.querySelector(\"form[action$='/exports/members.xlsx'] button\").disabled")
    with app.app_context():
        entry = db.session.scalars(select(AuditLog).where(
            AuditLog.action == "members.export")).one()
        assert entry.detail == {"scope": _scope_name(w), "count": 4, "encrypted": True}


def _scope_name(w: Any) -> str:
    return "中共测试工作流委员会"


def test_inspector_reviews_samples_and_reads_the_audit_log(
        app: Flask, live_server: str, browser_page: Any) -> None:  # noqa: F811
    w = make_world(app, members_per_branch=3)
    with app.app_context():
        db.session.get(Member, w.members_b1[0]).address = None  # type: ignore[union-attr]
        db.session.commit()
    page, base = browser_page, live_server
    sign_in(page, base, "org_department", PASSWORD)
    page.click("header nav >> text=回头看")
    assert "采集信息不完整" in page.locator("#findings").inner_text()
    shot(page, "review")

    page.click("header nav >> text=验收抽查")
    page.fill("input[name=seed]", "20170701")
    page.click("form button[type=submit].primary")
    page.wait_for_url("**/admin/sampling/*")
    assert page.locator("#seed").inner_text() == "20170701"
    assert page.locator("#items tr").count() == 1 + 2 + 5  # header, 2 branches, 5 members
    page.click("#items tr:nth-child(2) a")
    for n in range(1, 8):
        page.check(f"input[name=result_{n}][value={'fail' if n == 1 else 'pass'}]")
    page.fill("input[name=problems_1]", "2")
    page.fill("input[name=reason_1]", "党组织书记未填写")
    shot(page, "sampling-check")
    page.click("#checklist button[type=submit]")
    page.wait_for_url("**/admin/sampling/*#item-*")
    assert "党组织书记未填写" in page.locator("#scoresheet").inner_text()
    assert page.locator("#score").inner_text() == "97.5"
    shot(page, "sampling-run")

    page.click("header nav >> text=审计日志")
    page.select_option("select[name=action]", "sampling.check")
    page.click("form.filters button[type=submit]")
    assert page.locator("#audit tr").count() == 1 + 7
    shot(page, "audit")


def test_branch_admin_is_refused_another_branchs_review(
        app: Flask, live_server: str, browser_page: Any) -> None:  # noqa: F811
    w = make_world(app)
    page, base = browser_page, live_server
    sign_in(page, base, "branch_admin", PASSWORD)
    response = page.goto(f"{base}/admin/review?org_id={w.branch_ids[1]}")
    assert response is not None and response.status == 404
    assert "不在您的管理范围内" in page.content()
    shot(page, "review-refused")
    assert page.locator("header nav >> text=验收抽查").count() == 0
