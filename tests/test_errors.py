"""Every error in one JSON shape or on one page, in Chinese; the admin's keeps its navigation."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from testkit.admin import make_world, post, sign_in

JSON = {"Accept": "application/json"}


def test_unknown_admin_page_signed_in_is_a_chinese_404_with_the_admin_navigation(
    app: Flask, client
) -> None:
    w = make_world(app)
    sign_in(client, w.users["committee_admin"])
    page = client.get("/admin/nope")
    html = page.get_data(as_text=True)
    assert page.status_code == 404 and "页面不存在" in html
    assert "工作进度" in html and "党员信息" in html and "退出登录" in html  # admin navigation
    assert "Not Found" not in html
    answer = client.get("/admin/nope", headers=JSON)
    assert answer.status_code == 404
    assert answer.get_json()["code"] == 404 and "页面不存在" in answer.get_json()["message"]


def test_errors_outside_the_admin_use_the_plain_layout(app: Flask, client) -> None:
    page = client.get("/nope")
    html = page.get_data(as_text=True)
    assert page.status_code == 404 and "页面不存在" in html and "退出登录" not in html
    api = client.get("/api/nope")
    assert api.status_code == 404 and api.get_json()["code"] == 404


def test_wrong_method_and_refusals_are_chinese(app: Flask, client) -> None:
    w = make_world(app)
    sign_in(client, w.users["collector"])
    wrong = client.get("/admin/logout")
    assert wrong.status_code == 405 and "不支持该请求方法" in wrong.get_data(as_text=True)
    assert "POST" in wrong.headers["Allow"]
    forbidden = client.get("/admin/audit")  # a collector may not read the audit log
    assert forbidden.status_code == 403 and "无权" in forbidden.get_data(as_text=True)
    assert "工作进度" in forbidden.get_data(as_text=True)
    sign_in(client, w.users["branch_admin"])
    refused = post(client, "/admin/members/submit", {"campaign_id": w.campaign_id},
                   headers=JSON)
    assert refused.status_code == 400
    assert refused.get_json() == {"code": 400, "message": "请先勾选要提交确认的党员"}


def test_a_server_error_is_a_chinese_500(make_app: Callable[..., Flask]) -> None:
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    page = app.test_client().get("/boom")
    assert page.status_code == 500 and "服务器内部错误" in page.get_data(as_text=True)
    answer = app.test_client().get("/boom", headers=JSON)
    assert answer.get_json() == {"code": 500, "message": "服务器内部错误，请稍后再试"}


def test_a_csrf_refusal_answers_json_callers_in_the_same_shape(app: Flask, client) -> None:
    w = make_world(app)
    sign_in(client, w.users["branch_admin"])
    refused = client.post("/admin/logout", headers=JSON)
    assert refused.status_code == 400
    assert refused.get_json() == {"code": 400, "message": "页面已过期或来源不明，请刷新页面后重试"}
