"""`flask users create|list|unlock|passwd|deactivate`: admin web accounts and their scope."""

from __future__ import annotations

from functools import partial

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from service import audit
from service.admin import sessions, throttle
from service.clock import now_utc, to_local
from service.extensions import db
from service.models import AdminUser, Org
from service.models.admin_user import ROLES
from service.unit_of_work import run_unit

group = AppGroup("users", help="管理后台账号：开通、查看、解锁、重设密码、停用。")
_BY_LABEL = {label: key for key, label in ROLES.items()}


def _role(value: str) -> str:
    role = _BY_LABEL.get(value.strip(), value.strip())
    if role not in ROLES:
        choices = "、".join(f"{k}（{v}）" for k, v in ROLES.items())
        raise click.UsageError(f"角色“{value}”无效，应为：{choices}")
    return role


def _user(username: str) -> AdminUser:
    user = db.session.scalar(select(AdminUser).where(AdminUser.username == username.strip()))
    if user is None:
        raise click.UsageError(f"账号“{username}”不存在")
    return user


def _check_password(password: str) -> str:
    minimum = current_app.config["ADMIN_PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise click.UsageError(f"密码至少需要 {minimum} 个字符")
    return password


def _audit(action: str, user: AdminUser, **detail: object) -> None:
    audit.record(action, actor="cli", target_type="admin_user", target_id=user.id, **detail)


def open_account(username: str, display_name: str, role: str, org_id: int,
                 password: str) -> None:
    """Add an admin account, audited."""
    user = AdminUser(username=username, display_name=display_name, role=role, org_id=org_id)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    _audit("users.create", user, role=role, org_id=org_id)


def unlock_account(user_id: int) -> None:
    """Lift the sign-in lock of an account, audited."""
    user = db.session.get(AdminUser, user_id)
    assert user is not None
    throttle.unlock(user)
    _audit("users.unlock", user)


def set_password(user_id: int, password: str) -> int:
    """Set a new password and end the open sessions, audited; return how many ended."""
    user = db.session.get(AdminUser, user_id)
    assert user is not None
    user.set_password(password)
    throttle.unlock(user)
    ended = sessions.end_all(user)
    _audit("users.passwd", user, sessions_ended=ended)
    return ended


def deactivate_account(user_id: int) -> None:
    """Stop an account from signing in and end its open sessions, audited."""
    user = db.session.get(AdminUser, user_id)
    assert user is not None
    user.is_active = False
    ended = sessions.end_all(user)
    _audit("users.deactivate", user, sessions_ended=ended, at=now_utc().isoformat())


@group.command("create")
@click.argument("username")
@click.option("--role", required=True,
              help="角色：" + "、".join(f"{k}（{v}）" for k, v in ROLES.items()))
@click.option("--org", "org_name", required=True, help="管理范围：党组织全称（含其下级组织）")
@click.option("--display-name", help="显示的姓名（默认同用户名）")
@click.password_option("--password", prompt="密码", confirmation_prompt="再次输入密码",
                       help="不填则提示输入（输入时不显示）")
def create(username: str, role: str, org_name: str, display_name: str | None,
           password: str) -> None:
    """Open an admin account with a role, scoped to an org and everything below it."""
    username = username.strip()
    if not username or len(username) > 64:
        raise click.UsageError("用户名不能为空，且不超过 64 个字符")
    role = _role(role)
    org = db.session.scalar(select(Org).where(Org.name == org_name.strip()))
    if org is None:
        raise click.UsageError(f"党组织“{org_name}”不存在，请填写党组织全称")
    if db.session.scalar(select(AdminUser.id).where(AdminUser.username == username)):
        raise click.UsageError(f"用户名“{username}”已被使用")
    run_unit(partial(open_account, username, (display_name or username).strip()[:64], role,
                     org.id, _check_password(password)))
    click.echo(f"已开通账号“{username}”：{ROLES[role]}，管理范围 {org.name}")


@group.command("list")
def list_users() -> None:
    """List the admin accounts with role, scope and lock state."""
    rows = db.session.execute(
        select(AdminUser, Org.name).join(Org, Org.id == AdminUser.org_id)
        .order_by(AdminUser.username)
    ).all()
    if not rows:
        click.echo("还没有管理后台账号。")
        return
    for user, org_name in rows:
        until = throttle.locked_until(user)
        state = "已停用" if not user.is_active else (
            f"锁定至 {to_local(until):%Y-%m-%d %H:%M}" if until is not None else "正常")
        click.echo(f"{user.username}\t{user.display_name}\t{ROLES.get(user.role, user.role)}"
                   f"\t{org_name}\t{state}")


@group.command("unlock")
@click.argument("username")
def unlock(username: str) -> None:
    """Lift the lock put on an account after repeated failed sign-ins."""
    user = _user(username)
    run_unit(partial(unlock_account, user.id))
    click.echo(f"已解锁账号“{user.username}”")


@group.command("passwd")
@click.argument("username")
@click.password_option("--password", prompt="新密码", confirmation_prompt="再次输入新密码")
def passwd(username: str, password: str) -> None:
    """Set a new password; the account's open sessions end."""
    user = _user(username)
    ended = run_unit(partial(set_password, user.id, _check_password(password)))
    click.echo(f"已重设账号“{user.username}”的密码，已退出其 {ended} 个登录")


@group.command("deactivate")
@click.argument("username")
def deactivate(username: str) -> None:
    """Stop an account from signing in; its open sessions end."""
    user = _user(username)
    run_unit(partial(deactivate_account, user.id))
    click.echo(f"已停用账号“{user.username}”")
