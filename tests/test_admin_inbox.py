"""The branch admin's queue of unmatched member replies: scoped listing, attributing a reply to
the member who sent it (confirmation or dispute link, once), and marking it dealt with."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from service.evidence import ledger
from service.extensions import db
from service.models import AuditLog, InboxMessage, Member
from service.models.inbox import QUEUED, RESOLVED
from service.models.outbox import NOTICE
from service.roster.orgs import is_top_committee
from testkit.admin import World, make_user, make_world, post, sign_in
from testkit.factories import make_org
from testkit.inbound import evidence, inbox_rows, outbox_rows, post_sms, wechat_config
from testkit.workflow import cm_of

_seq = itertools.count(700000)
STRANGER = "13700001234"  # nobody's number on record


@pytest.fixture
def app(make_app: Any) -> Iterator[Flask]:
    app = make_app(**wechat_config(NOTIFY_CHANNELS="sms_aliyun"))
    with app.app_context():
        yield app


def sms(app: Flask, phone: str, text: str) -> InboxMessage:
    """Push one Aliyun SMS reply through the real endpoint; return its inbox row."""
    up = {"phone_number": phone, "content": text, "send_time": "2024-05-06 10:00:00",
          "dest_code": "8821", "sequence_id": next(_seq)}
    assert post_sms(app.test_client(), "/sms/aliyun/reply", [up]).status_code == 200
    return inbox_rows()[-1]


def shared_phone(w: World) -> tuple[Member, Member]:
    """Give the second member of branch 1 the first one's mobile (a family phone)."""
    a, b = (db.session.get(Member, i) for i in w.members_b1[:2])
    assert a is not None and b is not None
    b.mobile = a.mobile
    db.session.commit()
    return a, b


def as_(app: Flask, w: World, role: str) -> Any:
    client = app.test_client()
    sign_in(client, w.users[role])
    return client


def audits(action: str) -> int:
    return db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == action))


def test_queue_is_scoped_newest_first_and_masked(app: Flask) -> None:
    w = make_world(app)
    a, _ = shared_phone(w)
    old = sms(app, a.mobile, "1")  # two members on one phone, no code: queued at branch 1
    new = sms(app, a.mobile, "不知道怎么弄")
    b2 = db.session.get(Member, w.members_b2[0])
    other = sms(app, b2.mobile, "这是什么")  # unreadable: queued at branch 2
    nobody = sms(app, STRANGER, "1")  # no member: no org
    assert {r.status for r in (old, new, other, nobody)} == {QUEUED}
    assert nobody.org_id is None and other.org_id == w.branch_ids[1]

    page = as_(app, w, "branch_admin").get("/admin/inbox")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert body.index("不知道怎么弄") < body.index("该号码登记在2名党员名下")  # newest first
    assert "这是什么" not in body and "137****1234" not in body
    assert a.mobile not in body and f"{a.mobile[:3]}****{a.mobile[-4:]}" in body
    assert "短信回复（阿里云）" in body

    everything = as_(app, w, "org_department").get("/admin/inbox").get_data(as_text=True)
    assert "137****1234" in everything and "这是什么" in everything and STRANGER not in everything

    refused = {"branch_admin": (other, nobody), "collector": (other, nobody),
               "branch_admin_2": (old, nobody), "collector_2": (old, nobody)}
    for role, rows in refused.items():
        client = as_(app, w, role)
        for row in rows:
            assert client.get(f"/admin/inbox/{row.id}").status_code == 404, (role, row.note)
            for action in ("attribute", "resolve"):
                r = post(client, f"/admin/inbox/{row.id}/{action}",
                         {"member_id": a.id, "note": "越权"})
                assert r.status_code == 404, (role, action)
    assert {r.status for r in inbox_rows()} == {QUEUED}
    assert as_(app, w, "org_department").get(f"/admin/inbox/{nobody.id}").status_code == 200
    # Nobody's reply has no branch: the top committee's admin is the one who can act on it.
    committee = as_(app, w, "committee_admin")
    assert committee.get(f"/admin/inbox/{nobody.id}").status_code == 200
    done = post(committee, f"/admin/inbox/{nobody.id}/resolve", {"note": "已核实，非本委党员"})
    assert done.status_code == 302
    assert {r.id: r.status for r in inbox_rows()}[nobody.id] == RESOLVED


def test_confirm_on_behalf_records_one_confirmation(app: Flask) -> None:
    w = make_world(app)
    a, b = shared_phone(w)
    row = sms(app, a.mobile, "1")
    assert row.status == QUEUED and not evidence(ledger.CONFIRMED)
    client = as_(app, w, "branch_admin")
    detail = client.get(f"/admin/inbox/{row.id}").get_data(as_text=True)
    assert a.name in detail and b.name in detail and "确认为该党员的回复" in detail
    assert a.mobile not in detail

    for _ in range(2):  # a double click
        r = post(client, f"/admin/inbox/{row.id}/attribute", {"member_id": a.id,
                                                              "note": "电话核实为本人"})
        assert r.status_code == 302
    entries = evidence(ledger.CONFIRMED)
    assert len(entries) == 1 and entries[0].member_id == a.id
    assert entries[0].actor == f"admin:{w.users['branch_admin']}"
    assert cm_of(w.campaign_id, a.id).state == "confirmed"
    assert cm_of(w.campaign_id, b.id).state == "pending"
    done = inbox_rows()[-1]
    assert done.status == RESOLVED and done.member_id == a.id
    assert done.resolved_by == f"admin:{w.users['branch_admin']}" and done.resolved_at
    assert "电话核实为本人" in (done.note or "") and a.name in (done.note or "")
    assert audits("inbox.attribute") == 1
    listing = client.get("/admin/inbox").get_data(as_text=True)
    assert "没有待人工处理的回复" in listing


def test_attributing_to_a_member_not_on_that_phone_is_refused(app: Flask) -> None:
    w = make_world(app)
    a, _ = shared_phone(w)
    row = sms(app, a.mobile, "1")
    client = as_(app, w, "branch_admin")
    third = w.members_b1[2]  # in scope, but another phone
    r = post(client, f"/admin/inbox/{row.id}/attribute", {"member_id": third})
    assert r.status_code == 400 and "手机号码与发信号码不符" in r.get_data(as_text=True)
    assert inbox_rows()[-1].status == QUEUED and not evidence(ledger.CONFIRMED)


def test_dispute_reply_queues_one_dispute_link(app: Flask) -> None:
    w = make_world(app)
    a, _ = shared_phone(w)
    row = sms(app, a.mobile, "2")
    before = len(outbox_rows())
    client = as_(app, w, "committee_admin")
    for _ in range(2):
        post(client, f"/admin/inbox/{row.id}/attribute", {"member_id": a.id})
    new = outbox_rows()[before:]
    assert len(new) == 1
    notice = new[0]
    assert notice.kind == NOTICE and notice.member_id == a.id and notice.channel == "sms_aliyun"
    assert notice.payload["audience"] == "member" and notice.payload["link"].endswith("/dispute")
    assert cm_of(w.campaign_id, a.id).state == "pending" and not evidence(ledger.CONFIRMED)
    assert inbox_rows()[-1].status == RESOLVED


def test_mark_resolved_needs_a_note_and_happens_once(app: Flask) -> None:
    w = make_world(app)
    row = sms(app, db.session.get(Member, w.members_b1[0]).mobile, "你好")
    client = as_(app, w, "branch_admin")
    r = post(client, f"/admin/inbox/{row.id}/resolve", {"note": "  "})
    assert r.status_code == 400 and "请填写处理说明" in r.get_data(as_text=True)
    assert inbox_rows()[-1].status == QUEUED
    r = post(client, f"/admin/inbox/{row.id}/resolve", {"note": "已电话联系，党员问候"})
    assert r.status_code == 302
    first = inbox_rows()[-1]
    assert first.status == RESOLVED and "已电话联系，党员问候" in (first.note or "")
    post(as_(app, w, "branch_admin"), f"/admin/inbox/{row.id}/resolve", {"note": "再次处理"})
    again = inbox_rows()[-1]
    assert (again.note, again.resolved_at) == (first.note, first.resolved_at)
    assert audits("inbox.resolve") == 1


def test_collectors_and_inspectors_only_read(app: Flask) -> None:
    w = make_world(app)
    a, _ = shared_phone(w)
    row = sms(app, a.mobile, "1")
    for role in ("collector", "org_department"):
        client = as_(app, w, role)
        page = client.get(f"/admin/inbox/{row.id}")
        assert page.status_code == 200 and "确认为该党员的回复</button>" not in \
            page.get_data(as_text=True)
        assert post(client, f"/admin/inbox/{row.id}/attribute",
                    {"member_id": a.id}).status_code == 403
        assert post(client, f"/admin/inbox/{row.id}/resolve",
                    {"note": "看看"}).status_code == 403
    assert inbox_rows()[-1].status == QUEUED and not evidence(ledger.CONFIRMED)


def test_dashboard_counts_the_queue(app: Flask) -> None:
    w = make_world(app)
    sms(app, db.session.get(Member, w.members_b1[0]).mobile, "你好")
    sms(app, STRANGER, "1")
    mine = as_(app, w, "branch_admin").get("/admin/").get_data(as_text=True)
    assert "待处理的党员回复：1 条" in mine
    everything = as_(app, w, "org_department").get("/admin/").get_data(as_text=True)
    assert "待处理的党员回复：2 条" in everything


def _sees(app: Flask, user_id: int, row_id: int) -> bool:
    client = app.test_client()
    sign_in(client, user_id)
    return client.get(f"/admin/inbox/{row_id}").status_code == 200


def test_replies_from_nobody_reach_the_committees_under_a_county_committee(app: Flask) -> None:
    county = make_org(name="中共测试县委员会")  # a 党委 over 党委: no 基层党委 itself
    first, second = (make_org(county, name=f"中共测试{n}镇委员会", org_type="611")
                     for n in ("一", "二"))
    general = make_org(first, name="中共测试一镇机关总支部委员会", org_type="621")
    branch = make_org(general, name="中共测试一镇机关第一支部委员会")
    users = {key: make_user(role, org).id for key, role, org in (
        ("first", "committee_admin", first), ("second", "committee_admin", second),
        ("county", "committee_admin", county), ("general", "committee_admin", general),
        ("branch", "branch_admin", branch), ("orgdept", "org_department", county))}
    db.session.commit()
    assert [is_top_committee(o) for o in (county, first, second, general, branch)] == [
        False, True, True, False, False]
    nobody = sms(app, STRANGER, "1")
    assert nobody.org_id is None
    seen = {key: _sees(app, user_id, nobody.id) for key, user_id in users.items()}
    assert seen == {"first": True, "second": True, "county": False, "general": False,
                    "branch": False, "orgdept": True}
    client = app.test_client()
    sign_in(client, users["second"])
    done = post(client, f"/admin/inbox/{nobody.id}/resolve", {"note": "已核实，非本委党员"})
    assert done.status_code == 302 and inbox_rows()[-1].status == RESOLVED


def test_replies_from_nobody_reach_a_committee_at_the_top(app: Flask) -> None:
    committee = make_org(name="中共测试街道工作委员会", org_type="911")
    general = make_org(committee, name="中共测试街道机关总支部委员会", org_type="621")
    other_top = make_org(name="中共测试村党支部委员会", org_type="631")  # a branch on its own
    users = {key: make_user(role, org).id for key, role, org in (
        ("committee", "committee_admin", committee), ("general", "committee_admin", general),
        ("other", "branch_admin", other_top))}
    db.session.commit()
    assert [is_top_committee(o) for o in (committee, general, other_top)] == [True, False, False]
    nobody = sms(app, STRANGER, "是")
    assert {key: _sees(app, user_id, nobody.id) for key, user_id in users.items()} == {
        "committee": True, "general": False, "other": False}
