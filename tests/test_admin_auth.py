"""Admin sign-in: passwords, sessions, lockout and per-address throttling, CSRF, audit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from service.admin import throttle
from service.clock import now_utc
from service.extensions import db
from service.models import AdminSession, AdminUser, AuditLog, Throttle
from testkit.admin import PASSWORD, csrf, login, make_world, post, sign_in


def _audit(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def test_anonymous_pages_redirect_and_json_gets_401(app, client):
    make_world(app)
    page = client.get("/admin/members")
    assert page.status_code == 302 and "/admin/login" in page.headers["Location"]
    api = client.get("/admin/members", headers={"Accept": "application/json"})
    assert api.status_code == 401 and api.get_json()["message"] == "请先登录"


def test_sign_in_with_password_then_sign_out_ends_the_session(app, client):
    w = make_world(app)
    response = login(client, "branch_admin")
    assert response.status_code == 302
    page = client.get("/admin/")
    assert page.status_code == 200 and "党支部管理员" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    with client.session_transaction() as sess:
        copied = dict(sess)  # an attacker's copy of the cookie
    assert post(client, "/admin/logout").status_code == 302
    assert client.get("/admin/").status_code == 302
    with client.session_transaction() as sess:
        sess.update(copied)
    assert client.get("/admin/").status_code == 302  # the copy died with the server session
    actions = [a.action for a in _audit(app, "login")] + [a.action for a in _audit(app, "logout")]
    assert actions == ["login", "logout"]
    assert _audit(app, "login")[0].target_id == str(w.users["branch_admin"])


def test_login_replaces_the_session_against_fixation(app, client):
    make_world(app)
    client.get("/admin/login")
    with client.session_transaction() as sess:
        sess["admin_token"] = "planted-by-attacker"
        sess["planted"] = 1
    before = csrf(client)
    login(client, "collector")
    with client.session_transaction() as sess:
        assert "planted" not in sess and sess["admin_token"] != "planted-by-attacker"
        assert sess.get("csrf_token") != before
    # The token read before signing in died with that session.
    assert client.post("/admin/logout", data={"csrf_token": before}).status_code == 400


def test_wrong_password_and_unknown_user_get_the_same_answer(app, client):
    make_world(app)
    wrong = login(client, "branch_admin", "not-the-password")
    unknown = login(client, "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.get_data(as_text=True)
    assert wrong.get_data(as_text=True).count("用户名或密码错误") == 1
    reasons = sorted(a.detail["reason"] for a in _audit(app, "login.failed"))
    assert reasons == ["bad_password", "unknown_user"]


def test_account_locks_after_repeated_failures_even_for_the_right_password(app, client):
    w = make_world(app)
    app.config["ADMIN_LOGIN_MAX_FAILURES"] = 3
    for _ in range(3):
        assert login(client, "collector", "wrong-password!").status_code == 401
    refused = login(client, "collector", PASSWORD)
    assert refused.status_code == 401
    assert _audit(app, "login.failed")[-1].detail["reason"] == "locked"
    with app.app_context():
        lock = db.session.scalar(select(Throttle).where(
            Throttle.key == throttle.account_key(w.users["collector"])))
        assert lock.locked_until is not None
        lock.locked_until = now_utc() - timedelta(seconds=1)  # the lock runs out
        db.session.commit()
    assert login(client, "collector", PASSWORD).status_code == 302


def test_one_address_failing_across_accounts_is_throttled(app, client):
    make_world(app)
    app.config["ADMIN_IP_MAX_FAILURES"] = 4
    for i in range(4):
        login(client, f"guess-{i}", "whatever-password")
    refused = login(client, "branch_admin", PASSWORD)  # right password, noisy address
    assert refused.status_code == 401
    assert _audit(app, "login.failed")[-1].detail["reason"] == "ip_throttled"


def test_inactive_user_cannot_sign_in_and_loses_open_sessions(app, client):
    w = make_world(app)
    sign_in(client, w.users["branch_admin"])
    assert client.get("/admin/").status_code == 200
    with app.app_context():
        db.session.execute(update(AdminUser).where(AdminUser.id == w.users["branch_admin"])
                           .values(is_active=False))
        db.session.commit()
    assert client.get("/admin/").status_code == 302
    assert login(client, "branch_admin").status_code == 401


def test_idle_and_expired_sessions_end(app, client):
    w = make_world(app)
    sign_in(client, w.users["collector"])
    with app.app_context():
        idle = timedelta(minutes=app.config["ADMIN_SESSION_IDLE_MINUTES"] + 1)
        db.session.execute(update(AdminSession).values(last_seen_at=now_utc() - idle))
        db.session.commit()
    assert client.get("/admin/").status_code == 302
    sign_in(client, w.users["collector"])
    with app.app_context():
        db.session.execute(update(AdminSession).values(expires_at=now_utc()))
        db.session.commit()
    assert client.get("/admin/").status_code == 302


def test_writes_without_the_csrf_token_are_refused(app, client):
    w = make_world(app)
    sign_in(client, w.users["branch_admin"])
    bare = client.post("/admin/logout")
    assert bare.status_code == 400 and "刷新页面" in bare.get_data(as_text=True)
    forged = client.post("/admin/logout", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    api = client.post("/admin/logout", json={}, headers={"X-CSRF-Token": "forged"})
    assert api.status_code == 400 and api.get_json()["code"] == 400
    assert client.get("/admin/").status_code == 200  # still signed in: nothing happened
    header = client.post("/admin/logout", headers={"X-CSRF-Token": csrf(client)})
    assert header.status_code == 302


def test_login_form_itself_needs_the_csrf_token(app, client):
    make_world(app)
    response = client.post("/admin/login", data={"username": "branch_admin", "password": PASSWORD})
    assert response.status_code == 400


def test_next_only_goes_to_admin_pages(app, client):
    make_world(app)
    inside = login(client, "branch_admin", next="/admin/members?page=2")
    assert inside.headers["Location"].endswith("/admin/members?page=2")
    post(client, "/admin/logout")
    outside = login(client, "branch_admin", next="https://evil.example/admin")
    assert outside.headers["Location"].endswith("/admin/")


def test_passwords_are_stored_hashed(app):
    w = make_world(app)
    with app.app_context():
        user = db.session.get(AdminUser, w.users["branch_admin"])
        assert PASSWORD not in user.password_hash and user.password_hash.startswith("scrypt:")
