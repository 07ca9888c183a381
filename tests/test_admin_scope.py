"""Scope: every role reads only its own subtree, by any URL, and writes only what it may.

Rows of another branch answer 404 (not 403), so a URL does not even reveal that they exist.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.admin import scope
from service.extensions import db
from service.models import AdminUser, AuditLog, CampaignMember
from testkit.admin import call_task, dispute, make_world, post, sign_in

FIELD_ROLES = ("branch_admin", "collector")


def _urls(w, member_id, request_id, task_id):
    c = w.campaign_id
    gets = [f"/admin/members/{member_id}", f"/admin/members/{member_id}/edit",
            f"/admin/collector/members/{member_id}", f"/admin/corrections/{request_id}"]
    posts = [
        (f"/admin/members/{member_id}/id-number", {}),
        (f"/admin/members/{member_id}/edit", {"basis": "x", "name": "改名"}),
        (f"/admin/members/{member_id}/submit", {"campaign_id": c}),
        (f"/admin/collector/members/{member_id}/proxy",
         {"campaign_id": c, "method": "phone", "confirmed_on": "2020-01-01",
          "collector_name": "某人"}),
        (f"/admin/collector/members/{member_id}/unreachable", {"campaign_id": c, "note": "x"}),
        (f"/admin/collector/members/{member_id}/reopen", {"campaign_id": c}),
        (f"/admin/corrections/{request_id}/accept", {"basis": "依据"}),
        (f"/admin/corrections/{request_id}/reject", {"reason": "理由"}),
        (f"/admin/calls/{task_id}/done", {"outcome": "打通了"}),
        (f"/admin/calls/{task_id}/phone", {}),
    ]
    return gets, posts


@pytest.mark.parametrize("who, victim_branch", [
    ("branch_admin", 2), ("collector", 2), ("branch_admin_2", 1), ("collector_2", 1),
])
def test_another_branchs_rows_are_404_by_every_url(app, client, who, victim_branch):
    w = make_world(app)
    member_id = (w.members_b2 if victim_branch == 2 else w.members_b1)[0]
    request_id = dispute(app, member_id, w.campaign_id)
    task_id = call_task(app, (w.members_b2 if victim_branch == 2 else w.members_b1)[1],
                        w.campaign_id)
    sign_in(client, w.users[who])
    gets, posts = _urls(w, member_id, request_id, task_id)
    for url in gets:
        page = client.get(url)
        assert page.status_code == 404, url
        assert "不在您的管理范围内" in page.get_data(as_text=True)
        api = client.get(url, headers={"Accept": "application/json"})
        assert api.status_code == 404 and api.get_json()["code"] == 404, url
    for url, data in posts:
        assert post(client, url, data).status_code == 404, url
    with app.app_context():  # nothing changed and nothing was revealed
        cm = db.session.scalar(select(CampaignMember).where(
            CampaignMember.member_id == member_id))
        assert cm.state == "disputed"
        actions = set(db.session.scalars(select(AuditLog.action)))
        assert not actions & {"member.view_id_number", "member.view_phone", "member.edit",
                              "correction.accept", "correction.reject", "call_task.done"}


def test_lists_show_only_the_users_branch(app, client):
    w = make_world(app)
    with app.app_context():
        from service.models import Member
        names = {m.id: m.name for m in db.session.scalars(select(Member))}
    dispute(app, w.members_b2[0], w.campaign_id)
    call_task(app, w.members_b2[1], w.campaign_id)
    for who, mine, theirs in (("branch_admin", w.members_b1, w.members_b2),
                              ("collector_2", w.members_b2, w.members_b1)):
        sign_in(client, w.users[who])
        pages = "".join(client.get(u).get_data(as_text=True) for u in (
            "/admin/", "/admin/members", "/admin/collector", "/admin/corrections?status=all"))
        assert all(names[i] in pages for i in mine)
        assert not any(names[i] in pages for i in theirs), who


def test_committee_and_org_department_see_both_branches(app, client):
    w = make_world(app)
    for who in ("committee_admin", "org_department"):
        sign_in(client, w.users[who])
        for member_id in (w.members_b1[0], w.members_b2[0]):
            assert client.get(f"/admin/members/{member_id}").status_code == 200


def test_org_department_reads_but_may_not_change(app, client):
    w = make_world(app)
    member_id = w.members_b1[0]
    request_id = dispute(app, member_id, w.campaign_id)
    task_id = call_task(app, w.members_b1[1], w.campaign_id)
    sign_in(client, w.users["org_department"])
    _, posts = _urls(w, member_id, request_id, task_id)
    for url, data in posts:
        if url.endswith("/id-number"):
            continue  # inspectors may look at a full ID number (audited)
        assert post(client, url, data).status_code == 403, url
    assert client.get(f"/admin/members/{member_id}/edit").status_code == 403


def test_collector_may_not_edit_submit_or_resolve(app, client):
    w = make_world(app, submit=False)
    member_id = w.members_b1[0]
    sign_in(client, w.users["collector"])
    assert client.get(f"/admin/members/{member_id}/edit").status_code == 403
    assert post(client, f"/admin/members/{member_id}/submit",
                {"campaign_id": w.campaign_id}).status_code == 403
    assert post(client, f"/admin/members/{member_id}/id-number").status_code == 403


def test_scope_is_in_the_queries(app):
    w = make_world(app)
    with app.app_context():
        def user(key):
            return db.session.get(AdminUser, w.users[key])

        ids = set(db.session.scalars(scope.member_query(user("branch_admin"))
                                     .with_only_columns(scope.Member.id)))
        assert ids == set(w.members_b1)
        everyone = set(db.session.scalars(scope.member_query(user("committee_admin"))
                                          .with_only_columns(scope.Member.id)))
        assert everyone == set(w.members_b1 + w.members_b2)
        cms = db.session.scalars(scope.campaign_member_query(user("collector_2"))).all()
        assert {cm.member_id for cm in cms} == set(w.members_b2)
        assert {c.id for c in db.session.scalars(scope.campaign_query(user("collector")))} == \
            {w.campaign_id}
