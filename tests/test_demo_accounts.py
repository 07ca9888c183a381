"""The demo's org tree (top org, committees, 党总支, 联合党支部), its accounts and campaigns."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from service.clock import LOCAL_TZ
from service.extensions import db
from service.models import AdminUser, Campaign, CampaignMember, Member, Org
from service.models.admin_user import ROLES
from service.records.synthetic import synthetic_roster
from service.roster.demo import DEMO_PASSWORD, demo_password
from testkit.admin import login

TODAY = date(2025, 6, 1)


def _seed(app: Flask, *args: str) -> str:
    # The seed builds its roster for today: make that TODAY, at noon (no midnight surprise).
    noon = datetime.combine(TODAY, time(12), LOCAL_TZ)
    with time_machine.travel(noon.timestamp()):
        result = app.test_cli_runner().invoke(args=["demo", "seed", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_every_demo_roster_has_the_tree_every_path_of_the_product_needs(seed: int) -> None:
    roster = synthetic_roster(300, seed, TODAY)
    by_index = {o.index: o for o in roster.orgs}
    top, committees = roster.top, roster.committees()
    assert top.parent is None and top.org_type == "611" and top.name.endswith("委员会")
    assert [o for o in roster.orgs if o.parent is None] == [top]
    assert len(committees) >= 2 and all(c.org_type == "611" for c in committees)
    county = top.name.removesuffix("委员会")  # a demo's committees share one county
    assert county.endswith(("区", "县", "市", "旗")) and all(
        c.name.startswith(county) for c in committees), (top.name, [c.name for c in committees])
    first = committees[0].index
    general = [o for o in roster.orgs if o.org_type == "621" and o.parent == first]
    assert general, "no 党总支 under the first committee"
    assert len([b for b in roster.branches() if b.parent == general[0].index]) >= 2
    joint = [o for o in roster.orgs if o.org_type == "632" and o.parent == first]
    assert joint and all(len(o.units) >= 2 for o in joint)
    for branch in roster.branches():  # every branch sits under a committee, maybe via 党总支
        parent = by_index[branch.parent or 0]
        assert parent.org_type in ("611", "621") and parent is not top


def test_seeded_tree_in_the_database(app: Flask) -> None:
    _seed(app, "--members", "300")
    with app.app_context():
        orgs = db.session.scalars(select(Org)).all()
        top = [o for o in orgs if o.parent_id is None]
        assert len(top) == 1
        committees = [o for o in orgs if o.parent_id == top[0].id]
        assert len(committees) >= 2 and {c.org_type for c in committees} == {"611"}
        general = [o for o in orgs if o.org_type == "621"]
        assert general and all(o.parent in committees for o in general)
        under_general = [o for o in orgs if o.parent in general]
        assert under_general and all(o.org_type == "631" for o in under_general)
        joint = [o for o in orgs if o.org_type == "632"]
        assert joint and all(len(o.units) >= 2 and o.unit_situation == "联合支部" for o in joint)
        assert all(u.party_org_status == "2" for o in joint for u in o.units)


def test_accounts_have_their_roles_and_scopes_and_are_all_printed(
        app: Flask) -> None:
    output = _seed(app, "--members", "300", "--seed", "2")
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(AdminUser))}
        assert set(users) == {"orgdept", "admin", "admin2", "branch1", "branch2", "branch3",
                              "collector"}
        for u in users.values():  # every account is listed with its Chinese role and org
            assert re.search(rf"账号 {u.username}\s+密码 {re.escape(DEMO_PASSWORD)}\s+"
                             rf"{ROLES[u.role]}\s+{re.escape(u.org.name)}\n", output), u.username
        orgdept, admin, admin2 = users["orgdept"], users["admin"], users["admin2"]
        assert orgdept.role == "org_department" and orgdept.org.parent_id is None
        assert {admin.role, admin2.role} == {"committee_admin"}
        assert admin.org.parent_id == admin2.org.parent_id == orgdept.org.id
        assert admin.org.org_type == admin2.org.org_type == "611" and admin.org != admin2.org
        branches = [users[f"branch{n}"].org for n in (1, 2, 3)]
        assert {users[f"branch{n}"].role for n in (1, 2, 3)} == {"branch_admin"}
        assert all(b.path.startswith(admin.org.path) for b in branches)
        assert [b.org_type for b in branches] == ["631", "632", "631"]
        assert branches[0].parent == admin.org and branches[2].parent.org_type == "621"
        assert users["collector"].role == "collector" and users["collector"].org == branches[0]


def test_every_printed_account_signs_in_and_sees_only_its_scope(
        app: Flask) -> None:
    output = _seed(app, "--members", "300")
    printed = re.findall(r"账号 (\S+)\s+密码 (\S+)", output)
    assert len(printed) == 7
    with app.app_context():
        first, second = (db.session.get(Org, u.org_id) for u in db.session.scalars(
            select(AdminUser).where(AdminUser.role == "committee_admin").order_by(AdminUser.id)))
        assert first is not None and second is not None
        other = db.session.scalar(select(Member.id).join(Org).where(
            Org.path.startswith(second.path)).limit(1))
    for username, password in printed:
        client = app.test_client()
        assert login(client, username, "wrong-password").status_code == 401
        signed_in = login(client, username, password)
        assert signed_in.status_code == 302, username
        assert client.get("/admin/").status_code == 200
        # the second committee's member: only its admin and the organisation department see it
        seen = client.get(f"/admin/members/{other}").status_code
        assert seen == (200 if username in ("orgdept", "admin2") else 404), username


def test_the_password_meets_a_longer_configured_minimum(
        make_app: Any) -> None:
    assert len(DEMO_PASSWORD) >= 10 and demo_password(10) == DEMO_PASSWORD
    assert demo_password(16) == DEMO_PASSWORD + "1234"
    app = make_app(ADMIN_PASSWORD_MIN_LENGTH=16)
    output = _seed(app, "--members", "10")
    assert f"密码 {DEMO_PASSWORD}1234 " in output
    with app.app_context():
        admin = db.session.scalar(select(AdminUser).where(AdminUser.username == "admin"))
        assert admin is not None and admin.check_password(DEMO_PASSWORD + "1234")


def test_demo_campaign_runs_one_campaign_per_committee_over_every_member(
        app: Flask) -> None:
    _seed(app, "--members", "120")
    result = app.test_cli_runner().invoke(args=["demo", "campaign"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        committees = db.session.scalars(select(Org).where(
            Org.parent_id.in_(select(Org.id).where(Org.parent_id.is_(None)))).order_by(Org.id)
        ).all()
        campaigns = db.session.scalars(select(Campaign).order_by(Campaign.id)).all()
        assert [c.org_id for c in campaigns] == [c.id for c in committees]
        for campaign, committee in zip(campaigns, committees, strict=True):
            assert f"#{campaign.id} {committee.name}" in result.output
        covered = db.session.scalar(select(func.count(CampaignMember.id)))
        assert covered == db.session.scalar(select(func.count(Member.id))) == 120
    assert f"已为 {len(campaigns)} 个基层党委各开展" in result.output
