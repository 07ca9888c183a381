"""`flask users create|list|unlock|passwd|deactivate`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from service.admin import throttle
from service.clock import now_utc
from service.extensions import db
from service.models import AdminUser, AuditLog, Throttle
from testkit.factories import make_org


def _org(app, name="中共测试用户管理委员会"):
    with app.app_context():
        make_org(name=name)
        db.session.commit()
    return name


def test_create_with_password_prompt_and_confirmation(app, runner):
    org = _org(app)
    result = runner.invoke(args=["users", "create", "zhang", "--role", "branch_admin",
                                 "--org", org, "--display-name", "张三"],
                           input="a-long-password\na-long-password\n")
    assert result.exit_code == 0, result.output
    assert "已开通账号“zhang”：党支部管理员" in result.output
    with app.app_context():
        user = db.session.scalar(select(AdminUser).where(AdminUser.username == "zhang"))
        assert user.display_name == "张三" and user.check_password("a-long-password")
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "users.create"))


def test_create_accepts_the_chinese_role_name(app, runner):
    org = _org(app)
    result = runner.invoke(args=["users", "create", "li", "--role", "信息采集员", "--org", org,
                                 "--password", "another-long-one"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(AdminUser.role).where(AdminUser.username == "li")) == \
            "collector"


def test_create_refuses_bad_role_org_password_and_duplicates(app, runner):
    org = _org(app)
    base = ["users", "create", "wang", "--org", org, "--password", "a-long-password"]
    bad_role = runner.invoke(args=[*base, "--role", "boss"])
    assert bad_role.exit_code != 0 and "角色“boss”无效" in bad_role.output
    bad_org = runner.invoke(args=["users", "create", "wang", "--role", "collector", "--org",
                                  "不存在的党委", "--password", "a-long-password"])
    assert bad_org.exit_code != 0 and "党组织“不存在的党委”不存在" in bad_org.output
    short = runner.invoke(args=["users", "create", "wang", "--role", "collector", "--org", org,
                                "--password", "short"])
    assert short.exit_code != 0 and "密码至少需要" in short.output
    mismatch = runner.invoke(args=["users", "create", "wang", "--role", "collector",
                                   "--org", org], input="a-long-password\nother-password\n")
    assert mismatch.exit_code != 0
    assert runner.invoke(args=[*base, "--role", "collector"]).exit_code == 0
    again = runner.invoke(args=[*base, "--role", "collector"])
    assert again.exit_code != 0 and "已被使用" in again.output
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(AdminUser)) == 1


def test_list_unlock_passwd_deactivate(app, runner):
    org = _org(app)
    runner.invoke(args=["users", "create", "zhao", "--role", "committee_admin", "--org", org,
                        "--password", "a-long-password"])
    with app.app_context():
        user = db.session.scalar(select(AdminUser).where(AdminUser.username == "zhao"))
        db.session.add(Throttle(key=throttle.account_key(user.id), failures=0,
                                locked_until=now_utc() + timedelta(minutes=10)))
        db.session.commit()
    listed = runner.invoke(args=["users", "list"])
    assert "zhao" in listed.output and "锁定至" in listed.output and org in listed.output
    assert "已解锁" in runner.invoke(args=["users", "unlock", "zhao"]).output
    assert "正常" in runner.invoke(args=["users", "list"]).output
    changed = runner.invoke(args=["users", "passwd", "zhao", "--password", "brand-new-password"])
    assert changed.exit_code == 0, changed.output
    assert "已停用" in runner.invoke(args=["users", "deactivate", "zhao"]).output
    with app.app_context():
        user = db.session.scalar(select(AdminUser).where(AdminUser.username == "zhao"))
        assert user.check_password("brand-new-password") and not user.is_active
    missing = runner.invoke(args=["users", "unlock", "nobody"])
    assert missing.exit_code != 0 and "账号“nobody”不存在" in missing.output
