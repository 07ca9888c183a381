"""Each role's work in the admin web, driven through real headless Chromium (screenshots in
build/screenshots/admin-*.png)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Attachment, CampaignMember, CorrectionRequest, Member
from testkit.admin import PASSWORD, call_task, dispute, make_world
from testkit.workflow import MP3
from tests.admin_browser import browser_page, live_server, shot, sign_in  # noqa: F401

pytestmark = pytest.mark.browser


def _name(app, member_id):
    with app.app_context():
        return db.session.get(Member, member_id).name


def test_committee_admin_signs_in_and_watches_progress(app, live_server, browser_page):  # noqa: F811
    w = make_world(app)
    dispute(app, w.members_b2[0], w.campaign_id)
    page, base = browser_page, live_server
    page.goto(f"{base}/admin/")
    assert "/admin/login" in page.url
    shot(page, "login")
    page.fill("input[name=username]", "committee_admin")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator(".flash.error").inner_text().startswith("用户名或密码错误")
    sign_in(page, base, "committee_admin", PASSWORD)
    assert page.locator("#progress tbody tr").count() == 2
    assert page.locator("#chart polyline").count() == 2
    assert "待处理的修改申请：1 件" in page.locator("#corrections").inner_text()
    shot(page, "dashboard")
    page.click("#progress tbody tr:first-child td:first-child a")  # drill down to a branch
    page.wait_for_url("**/admin/members?*")
    assert page.locator("#members tbody tr").count() == 3
    shot(page, "members")
    page.click("#members tbody tr:first-child td:nth-child(2) a")
    page.wait_for_url("**/admin/members/*")
    assert "党员基本信息" in page.content()
    shot(page, "member")


def test_branch_admin_answers_a_correction(app, live_server, browser_page):  # noqa: F811
    w = make_world(app)
    request_id = dispute(app, w.members_b1[0], w.campaign_id)
    page, base = browser_page, live_server
    sign_in(page, base, "branch_admin", PASSWORD)
    page.click("header nav >> text=修改申请")
    page.click(f"a[href='/admin/corrections/{request_id}']")
    assert "北京市海淀区新地址路8号" in page.locator("#diff").inner_text()
    shot(page, "correction")
    page.click("#accept button[type=submit]")  # no basis yet: refused with the reason
    assert "必须填写修改依据" in page.locator(".flash.error").inner_text()
    page.fill("#accept textarea[name=basis]", "经核实本人户口簿")
    page.click("#accept button[type=submit]")
    page.wait_for_url(f"{base}/admin/corrections")
    assert "已采纳修改" in page.locator(".flash").inner_text()
    shot(page, "corrections-done")
    with app.app_context():
        assert db.session.get(CorrectionRequest, request_id).status == "accepted"


def test_collector_records_a_proxy_confirmation_with_an_upload(app, live_server,  # noqa: F811
                                                                browser_page, tmp_path):  # noqa: F811
    w = make_world(app)
    member_id = w.members_b1[1]
    call_task(app, member_id, w.campaign_id)
    recording = tmp_path / "通话录音.mp3"
    recording.write_bytes(MP3)
    page, base = browser_page, live_server
    sign_in(page, base, "collector", PASSWORD)
    page.click("header nav >> text=代为确认")
    shot(page, "collector-list")
    page.click(f"a[href='/admin/collector/members/{member_id}']")
    page.select_option("select[name=method]", "phone")
    page.fill("#proxy-form textarea[name=note]", "电话中逐项核对，信息无误")
    page.set_input_files("input[name=attachments]", str(recording))
    shot(page, "collector-form")
    page.click("#proxy-form button[type=submit]")
    page.wait_for_selector(".flash.success")
    assert "已记录代为确认" in page.locator(".flash").inner_text()
    shot(page, "collector-done")
    with app.app_context():
        cm = db.session.scalar(select(CampaignMember).where(CampaignMember.member_id == member_id))
        assert cm.state == "proxy_confirmed"
        assert db.session.scalar(select(Attachment.filename)) == "通话录音.mp3"


def test_branch_admin_is_refused_another_branchs_member_by_url(app, live_server,  # noqa: F811
                                                               browser_page):  # noqa: F811
    w = make_world(app)
    other = w.members_b2[0]
    page, base = browser_page, live_server
    sign_in(page, base, "branch_admin", PASSWORD)
    response = page.goto(f"{base}/admin/members/{other}")
    assert response.status == 404
    assert "不在您的管理范围内" in page.content() and _name(app, other) not in page.content()
    shot(page, "refused")
    response = page.goto(f"{base}/admin/collector/members/{other}")
    assert response.status == 404
