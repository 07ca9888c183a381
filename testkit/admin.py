"""Admin web helpers for tests and benches: a committee with two branches, a started campaign,
one user of each role, and test clients signed in as them.

Typical use::

    from testkit.admin import World, make_world, sign_in, post

    def test_something(app, client):
        w = make_world(app)                    # ids only: safe to use outside an app context
        sign_in(client, w.users["branch_admin"])     # fast: no password hashing
        client.get(f"/admin/members/{w.members_b1[0]}")
        post(client, "/admin/…", {"field": "value"})  # adds the CSRF token

``login(client, username)`` goes through the real sign-in form instead (slower: scrypt).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask
from werkzeug.security import generate_password_hash

from service.admin.sessions import TOKEN_KEY, _hash
from service.clock import now_utc
from service.extensions import db
from service.models import AdminSession, AdminUser, Org
from testkit.workflow import started

PASSWORD = "correct-horse-battery"
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
_HASH: list[str] = []  # scrypt is slow on purpose: hash the shared test password once
ROLE_NAMES = ("org_department", "committee_admin", "branch_admin", "collector")


def password_hash() -> str:
    """Return a hash of PASSWORD, computed once per test run."""
    if not _HASH:
        _HASH.append(generate_password_hash(PASSWORD))
    return _HASH[0]


def make_user(role: str, org: Org, username: str | None = None, **fields: Any) -> AdminUser:
    """Add an admin user with PASSWORD and flush it (call inside an app context)."""
    user = AdminUser(username=username or f"{role}-{org.id}-{secrets.token_hex(3)}",
                     display_name=fields.pop("display_name", f"测试{role}"), role=role,
                     org_id=org.id, password_hash=password_hash(), **fields)
    db.session.add(user)
    db.session.flush()
    return user


@dataclass
class World:
    """Ids of a small committee in a running campaign, and of one user per role.

    ``users``: org_department (at the root), committee_admin (root), branch_admin and
    collector (branch 1), and ``branch_admin_2`` / ``collector_2`` (branch 2).
    """

    campaign_id: int
    root_id: int
    branch_ids: list[int]
    members_b1: list[int]
    members_b2: list[int]
    users: dict[str, int] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)


def make_world(app: Flask, members_per_branch: int = 3, submit: bool = True) -> World:
    """Build the committee, campaign and users, commit, and return their ids."""
    with app.app_context():
        campaign, members = started(members_per_branch, submit=submit)
        root = db.session.get(Org, campaign.org_id)
        assert root is not None
        branches = sorted({m.org_id for m in members})
        b1, b2 = (db.session.get(Org, i) for i in branches)
        world = World(
            campaign_id=campaign.id, root_id=root.id, branch_ids=branches,
            members_b1=[m.id for m in members if m.org_id == branches[0]],
            members_b2=[m.id for m in members if m.org_id == branches[1]],
        )
        for key, role, org in (
            ("org_department", "org_department", root),
            ("committee_admin", "committee_admin", root),
            ("branch_admin", "branch_admin", b1), ("collector", "collector", b1),
            ("branch_admin_2", "branch_admin", b2), ("collector_2", "collector", b2),
        ):
            user = make_user(role, org, username=key)  # type: ignore[arg-type]
            world.users[key], world.usernames[key] = user.id, user.username
        db.session.commit()
        return world


def sign_in(client: Any, user_id: int) -> None:
    """Sign ``client`` in as the user directly (a live server-side session, no password)."""
    token = secrets.token_urlsafe(32)
    app = client.application
    with app.app_context():
        now = now_utc()
        db.session.add(AdminSession(token_hash=_hash(token), user_id=user_id, last_seen_at=now,
                                    expires_at=now + timedelta(hours=1)))
        db.session.commit()
    with client.session_transaction() as sess:
        sess.clear()
        sess[TOKEN_KEY] = token


def csrf(client: Any) -> str:
    """Return the CSRF token a page gives ``client``, read from its form as a browser would.

    The sign-in page carries it, or (signed in) the dashboard; a token read once serves until
    the session's secret changes (sign-in and sign-out replace the session).
    """
    with client.session_transaction() as sess:
        secret = sess.get("csrf_token")
    known = getattr(client, "_csrf_seen", None)
    if secret is not None and known is not None and known[0] == secret:
        return known[1]
    page = client.get("/admin/login")
    if page.status_code == 302:
        page = client.get("/admin/")
    found = _CSRF_FIELD.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {page.request.path} ({page.status_code})"
    with client.session_transaction() as sess:
        client._csrf_seen = (sess.get("csrf_token"), found[1])
    return found[1]


def login(client: Any, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    """Sign in through the real form (CSRF token included); return the response."""
    return client.post("/admin/login", data={"username": username, "password": password,
                                             "csrf_token": csrf(client), **extra})


def post(client: Any, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """POST a form with the client's CSRF token added."""
    return client.post(url, data={"csrf_token": csrf(client), **(data or {})}, **kwargs)


def dispute(app: Flask, member_id: int, campaign_id: int, proposed: dict[str, str] | None = None
            ) -> int:
    """Have the member dispute their current card; return the correction request's id."""
    from service.campaign import corrections
    from service.campaign.states import membership
    from service.unit_of_work import run_unit

    with app.app_context():
        card_id = membership(campaign_id, member_id).card_id
        assert card_id is not None
        request = run_unit(lambda: corrections.dispute(
            card_id, member_id, proposed=proposed or {"address": "北京市海淀区新地址路8号"},
            note="地址变了", channel="wechat", identity="bound_openid"))
        return request.id


def call_task(app: Flask, member_id: int, campaign_id: int, *, overdue: bool = False) -> int:
    """Add an open call task for the member; return its id."""
    from service.campaign.states import membership
    from service.models import CallTask, Member

    with app.app_context():
        cm = membership(campaign_id, member_id)
        member = db.session.get(Member, member_id)
        assert member is not None
        task = CallTask(idempotency_key=f"call:{cm.id}:{secrets.token_hex(4)}",
                        campaign_member_id=cm.id, member_id=member_id, org_id=member.org_id,
                        reason="多次发送未确认", due_at=now_utc() + timedelta(
                            days=-1 if overdue else 2))
        db.session.add(task)
        db.session.commit()
        return task.id
