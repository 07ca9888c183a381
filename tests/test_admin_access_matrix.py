"""THE ACCESS MATRIX: every admin URL rule (pages, downloads and JSON endpoints, from
``app.url_map``) tried as every role and as nobody, with the ids of rows inside and outside the
role's scope. Outside scope there is no access (403/404, or the sign-in page for nobody), no
write and no leak; nowhere a 500; and every download is written to the audit log.

A new route with a URL parameter this file does not know fails the test: add the parameter to
``Place`` so the new route is covered too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from service.campaign.campaigns import start_campaign
from service.clock import today_local
from service.evidence import ledger
from service.evidence.attachments import store_attachment
from service.extensions import db
from service.models import (
    AuditLog,
    CampaignMember,
    ImportJob,
    InboxMessage,
    Member,
    Org,
    SamplingItem,
    SamplingRun,
)
from service.unit_of_work import run_unit
from testkit.admin import World, call_task, dispute, make_world, post, sign_in
from testkit.factories import make_member, make_org
from testkit.workflow import MP3

SKIP = {"admin_auth.login", "admin_auth.logout"}  # the door itself (tested in test_admin_auth)
DENIED = {403, 404}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class Place:
    """Rows of every kind the admin URLs take, all in one part of the tree."""

    name: str
    org_id: int
    member_id: int
    campaign_id: int
    request_id: int
    task_id: int
    job_id: int
    run_id: int
    item_id: int
    inbox_id: int
    entry_id: int
    attachment_id: int
    markers: list[str] = field(default_factory=list)  # names that must not leak

    def url_values(self) -> dict[str, int]:
        return {"member_id": self.member_id, "request_id": self.request_id,
                "task_id": self.task_id, "job_id": self.job_id, "run_id": self.run_id,
                "item_id": self.item_id, "campaign_id": self.campaign_id,
                "inbox_id": self.inbox_id, "entry_id": self.entry_id,
                "attachment_id": self.attachment_id, "org_id": self.org_id}

    def form(self) -> dict[str, Any]:
        """Form fields naming this place's rows, as the admin forms spell them."""
        return {"org_id": self.org_id, "member": self.member_id, "member_id": self.member_id,
                "member_ids": self.member_id, "campaign_id": self.campaign_id,
                "kind": "members", "seed": "matrix", "basis": "依据", "reason": "理由",
                "note": "备注", "outcome": "打通了", "method": "phone",
                "confirmed_on": today_local().isoformat(), "collector_name": "某人"}


def _rows_in(app: Flask, org_id: int, member_id: int, campaign_id: int, user_id: int,
             name: str) -> Place:
    """Add a correction, a call task, an import job and a sampling run at org; return a Place."""
    request_id = dispute(app, member_id, campaign_id)
    other = _second_member(app, org_id, member_id)
    task_id = call_task(app, other, campaign_id)
    with app.app_context():
        job = ImportJob(kind="members", filename=f"{name}.xlsx", uploaded_by=user_id,
                        scope_org_id=org_id, status="refused")
        run = SamplingRun(scope_org_id=org_id, seed="s", drawn_by=user_id, branch_total=1,
                          member_total=1, branch_size=1, member_size=1)
        run.items.append(SamplingItem(kind="member", seq=1, org_id=org_id, member_id=member_id))
        phone = db.session.get(Member, member_id).mobile  # type: ignore[union-attr]
        reply = InboxMessage(source="sms_aliyun", dedupe_key=f"up:matrix-{name}", kind="reply",
                             raw=json.dumps({"phone_number": phone, "content": "1"}),
                             member_id=member_id, org_id=org_id, status="queued",
                             note="回复内容有多种理解")
        db.session.add_all([job, run, reply])
        kept = store_attachment("录音.mp3", MP3, uploaded_by=f"admin:{user_id}")
        entry = ledger.append(ledger.PROXY_CONFIRMED, actor=f"admin:{user_id}",
                              member_id=member_id, attachments=[kept],
                              data={"method": "phone", "collector": "某人"})
        db.session.commit()
        org = db.session.get(Org, org_id)
        names = [m for m in db.session.scalars(select(Member.name).where(
            Member.org_id == org_id))]
        return Place(name, org_id, member_id, campaign_id, request_id, task_id, job.id, run.id,
                     run.items[0].id, reply.id, entry.id, kept.id,
                     markers=[org.name, *names])  # type: ignore[union-attr]


def _second_member(app: Flask, org_id: int, member_id: int) -> int:
    with app.app_context():
        return db.session.scalars(select(Member.id).where(
            Member.org_id == org_id, Member.id != member_id)).first()  # type: ignore[return-value]


@pytest.fixture
def places(app: Flask) -> tuple[World, dict[str, Place]]:
    w = make_world(app, members_per_branch=2)
    with app.app_context():
        # Distinct names, so no name is a prefix of another in the leak checks.
        for i, member_id in enumerate(w.members_b1 + w.members_b2):
            db.session.get(Member, member_id).name = f"矩阵{'甲乙'[i // 2]}{'子丑'[i % 2]}"  # type: ignore[union-attr]
        root2 = make_org(name="中共矩阵另一委员会")
        branch3 = make_org(root2, name="中共矩阵另一委员会第一支部委员会")
        m3 = [make_member(branch3, name=n) for n in ("矩阵丙子", "矩阵丙丑")]
        db.session.commit()
        campaign2 = run_unit(lambda: start_campaign(
            root2, today_local() + timedelta(days=30), actor="admin:1", submit=True))
        branch3_id, m3_id, c2 = branch3.id, m3[0].id, campaign2.id
    ca = w.users["committee_admin"]
    return w, {
        "b1": _rows_in(app, w.branch_ids[0], w.members_b1[0], w.campaign_id, ca, "b1"),
        "b2": _rows_in(app, w.branch_ids[1], w.members_b2[0], w.campaign_id, ca, "b2"),
        "c2": _rows_in(app, branch3_id, m3_id, c2, ca, "c2"),
    }


# role -> (a place inside its scope, places outside it)
SCOPES = {
    "org_department": ("b2", ()),
    "committee_admin": ("b2", ("c2",)),
    "branch_admin": ("b1", ("b2", "c2")),
    "collector": ("b1", ("b2", "c2")),
    "branch_admin_2": ("b2", ("b1", "c2")),
}


def _rules(app: Flask) -> list[Any]:
    rules = [r for r in app.url_map.iter_rules()
             if r.rule.startswith("/admin") and r.endpoint not in SKIP]
    assert len(rules) > 30  # the whole admin web, not an empty map
    return sorted(rules, key=lambda r: r.rule)


def _url(rule: Any, place: Place) -> str:
    values = place.url_values()
    unknown = set(rule.arguments) - set(values)
    assert not unknown, f"{rule.rule}: add {unknown} to Place in the access matrix"
    return rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]


def _snapshot(app: Flask, place: Place) -> tuple[Any, ...]:
    """What a write to the place would change: member revisions, campaign states, audit rows
    naming its rows."""
    with app.app_context():
        members = tuple(db.session.execute(select(Member.id, Member.revision, Member.name)
                                           .where(Member.org_id == place.org_id)
                                           .order_by(Member.id)))
        states = tuple(db.session.execute(
            select(CampaignMember.id, CampaignMember.state, CampaignMember.card_id)
            .join(Member, Member.id == CampaignMember.member_id)
            .where(Member.org_id == place.org_id).order_by(CampaignMember.id)))
        ids = {str(place.member_id), str(place.org_id), str(place.request_id),
               str(place.task_id), str(place.job_id), str(place.run_id), str(place.item_id),
               str(place.inbox_id)}
        audits = db.session.scalar(select(func.count(AuditLog.id)).where(
            AuditLog.target_id.in_(ids), AuditLog.action != "login"))
        checks = db.session.scalar(select(func.count()).select_from(SamplingItem).where(
            SamplingItem.run_id == place.run_id))
        inbox = db.session.execute(select(InboxMessage.status, InboxMessage.note).where(
            InboxMessage.id == place.inbox_id)).one()
        return members, states, audits, checks, tuple(inbox)


def _call(client: Any, method: str, url: str, place: Place) -> Any:
    if method == "GET":
        return client.get(url, query_string={"org_id": place.org_id})
    return post(client, url, place.form())


def test_nobody_gets_anything(app: Flask, places: tuple[World, dict[str, Place]]) -> None:
    _, where = places
    client = app.test_client()
    for rule in _rules(app):
        url = _url(rule, where["b1"])
        for method in sorted(rule.methods & {"GET", "POST"}):
            r = client.open(url, method=method, headers={"Accept": "text/html"})
            assert r.status_code in (302, 401), (method, url, r.status_code)
            if r.status_code == 302:
                assert "/admin/login" in r.headers["Location"], (method, url)
            api = client.open(url, method=method, headers={"Accept": "application/json"})
            assert api.status_code == 401, (method, url, api.status_code)


@pytest.mark.parametrize("role", sorted(SCOPES))
def test_no_access_outside_scope(app: Flask, places: tuple[World, dict[str, Place]],
                                 role: str) -> None:
    w, where = places
    client = app.test_client()
    sign_in(client, w.users[role])
    _, outside = SCOPES[role]
    for name in outside:
        place = where[name]
        before = _snapshot(app, place)
        for rule in _rules(app):
            url = _url(rule, place)
            for method in sorted(rule.methods & {"GET", "POST"}):
                r = _call(client, method, url, place)
                assert r.status_code != 500, (role, method, url)
                if rule.arguments:  # the URL names a row outside scope: refused outright
                    assert r.status_code in DENIED, (role, name, method, url, r.status_code)
                elif r.status_code == 200 and r.mimetype in ("text/html", "application/json"):
                    body = r.get_data(as_text=True)
                    leaked = [m for m in place.markers if m in body]
                    assert not leaked, (role, method, url, leaked)
                else:  # a form naming outside rows: no download, nothing done
                    assert "attachment" not in r.headers.get("Content-Disposition", ""), (
                        role, method, url)
        assert _snapshot(app, place) == before, (role, name)


@pytest.mark.parametrize("role", sorted(SCOPES))
def test_inside_scope_no_errors_and_downloads_audited(
        app: Flask, places: tuple[World, dict[str, Place]], role: str) -> None:
    w, where = places
    client = app.test_client()
    sign_in(client, w.users[role])
    inside = where[SCOPES[role][0]]
    downloads = 0
    for rule in _rules(app):
        url = _url(rule, inside)
        for method in sorted(rule.methods & {"GET", "POST"}):
            with app.app_context():
                audits = db.session.scalar(select(func.count(AuditLog.id)))
            r = _call(client, method, url, inside)
            assert r.status_code < 500, (role, method, url, r.status_code)
            if "attachment" in r.headers.get("Content-Disposition", ""):
                downloads += 1
                with app.app_context():
                    assert db.session.scalar(select(func.count(AuditLog.id))) > audits, (
                        f"{role} {method} {url}: a download without an audit entry")
    if role in ("committee_admin", "org_department", "branch_admin"):
        assert downloads >= 5  # the exports actually ran and were checked
