"""Dashboard: progress per org with drill-down, the chart, and the work queues."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from service.campaign import workflow
from service.extensions import db
from service.models import AuditLog, Member, Org, OutboxMessage
from service.unit_of_work import run_unit
from testkit.admin import call_task, dispute, make_world, post, sign_in
from testkit.workflow import cm_of, confirm_kwargs, phone_contact, yesterday


def _confirm(app, campaign_id, member_id):
    with app.app_context():
        card_id = cm_of(campaign_id, member_id).card_id
        run_unit(lambda: workflow.confirm(card_id, member_id, **confirm_kwargs(
            provider_msg_id=f"m{member_id}")))


def _proxy(app, campaign_id, member_id):
    with app.app_context():
        run_unit(lambda: workflow.proxy_confirm(
            campaign_id, member_id, actor="admin:1", collector_name="采集员",
            method="phone", confirmed_on=yesterday(), contact=phone_contact()))


def _row(html, name):
    row = re.search(r"<tr>\s*<td><a[^>]*>" + re.escape(name) + r"</a></td>(.*?)</tr>", html, re.S)
    assert row, name
    return [int(n) for n in re.findall(r'<td class="num">(?:<a[^>]*>)?(\d+)', row.group(1))]


def test_progress_per_branch_and_drill_down(app, client):
    w = make_world(app)
    _confirm(app, w.campaign_id, w.members_b1[0])
    _proxy(app, w.campaign_id, w.members_b1[1])
    dispute(app, w.members_b2[0], w.campaign_id)
    with app.app_context():
        names = dict(db.session.execute(select(Org.id, Org.name)).all())
    sign_in(client, w.users["committee_admin"])
    html = client.get("/admin/").get_data(as_text=True)
    # columns: total, draft, pending, confirmed, disputed, proxy, unreachable
    assert _row(html, names[w.branch_ids[0]]) == [3, 0, 1, 1, 0, 1, 0]
    assert _row(html, names[w.branch_ids[1]]) == [3, 0, 2, 0, 1, 0, 0]
    assert "33.3%" in html  # 2 of 6 settled
    assert '<polyline points="' in html and "截止日期" in html
    # A branch has no children: its link goes to its members.
    assert f"/admin/members?org={w.branch_ids[0]}" in html.replace("&amp;", "&") or \
        f"org={w.branch_ids[0]}" in html
    branch = client.get(f"/admin/?org={w.branch_ids[1]}&campaign={w.campaign_id}")
    assert branch.status_code == 200
    assert "（本级）" in branch.get_data(as_text=True)


def test_chart_counts_settled_members_cumulatively(app, client):
    w = make_world(app)
    for member_id in w.members_b1:
        _confirm(app, w.campaign_id, member_id)
    sign_in(client, w.users["branch_admin"])
    html = client.get("/admin/").get_data(as_text=True)
    points = re.search(r'<polyline points="([^"]+)" fill="none" stroke="#2e7d32"', html).group(1)
    last_y = float(points.split()[-1].split(",")[1])
    top_label = re.findall(r'text-anchor="end">(\d+)</text>', html)
    assert top_label[-1] == "3"  # the branch has 3 members
    assert last_y == 16.0  # all 3 settled: the line reaches the top


def test_queues_corrections_dead_letters_and_call_tasks(app, client):
    w = make_world(app)
    dispute(app, w.members_b1[0], w.campaign_id)
    call_task(app, w.members_b1[1], w.campaign_id, overdue=True)
    with app.app_context():
        db.session.execute(update(OutboxMessage).where(
            OutboxMessage.member_id == w.members_b1[2]).values(state="dead",
                                                               last_error="[isv.X] 号码停机"))
        db.session.commit()
        name = db.session.get(Member, w.members_b1[2]).name
    sign_in(client, w.users["collector"])
    html = client.get("/admin/").get_data(as_text=True)
    assert "待处理的修改申请：1 件" in html
    assert "待联系的电话任务：1 个，其中已逾期" in html and "逾期" in html
    assert "发送失败的消息：1 条" in html and "号码停机" in html and name in html
    assert "139****" in html  # masked phone in the call list


def test_full_phone_for_a_call_is_shown_to_the_branch_collector_and_audited(app, client):
    w = make_world(app)
    task_id = call_task(app, w.members_b1[1], w.campaign_id)
    with app.app_context():
        mobile = db.session.get(Member, w.members_b1[1]).mobile
    sign_in(client, w.users["collector"])
    assert mobile not in client.get("/admin/").get_data(as_text=True)
    shown = post(client, f"/admin/calls/{task_id}/phone")
    assert shown.status_code == 200 and mobile in shown.get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "member.view_phone"))
        assert entry.target_id == str(w.members_b1[1]) and mobile not in str(entry.detail)
    sign_in(client, w.users["committee_admin"])  # not the branch's caller
    assert post(client, f"/admin/calls/{task_id}/phone").status_code == 403


def test_no_campaign_yet(app, client):
    from testkit.admin import make_user
    from testkit.factories import make_org

    with app.app_context():
        org = make_org(name="中共空白测试委员会")
        user = make_user("committee_admin", org)
        db.session.commit()
        user_id = user.id
    sign_in(client, user_id)
    page = client.get("/admin/")
    assert page.status_code == 200 and "还没有信息确认工作" in page.get_data(as_text=True)
