"""The states a real committee passes through, from an empty database to a second campaign,
each with one account per role: what the all-states admin tests walk.

Typical use::

    from tests.admin_states import STATES, build_state

    s = build_state(app, "roster")          # ids only: safe outside an app context
    sign_in(client, s.users["branch_admin"])
    client.get(f"/admin/members/{s.ids['member_id']}")

``ids`` names one row of each kind the admin URLs take, when the state has one; a kind the
state lacks is missing from it (``url_values`` then fills in an id that does not exist).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Flask

from service.campaign.campaigns import start_campaign
from service.clock import today_local
from service.extensions import db
from service.models import Campaign, ImportJob, InboxMessage, Member, Org
from service.models.campaign import CLOSED
from service.review.sampling import draw_run
from service.unit_of_work import run_unit
from testkit.admin import ROLE_NAMES, call_task, dispute, make_user
from testkit.factories import make_member, make_org

# In the order a committee reaches them.
STATES = ("empty", "orgs", "roster", "draft", "open", "closed", "two")
MISSING = 987_654  # an id no row has in any state
DISPLAY_NAMES = {"org_department": "王组织", "committee_admin": "李党委",
                 "branch_admin": "张支部", "collector": "赵采集"}
URL_KEYS = ("org_id", "member_id", "campaign_id", "request_id", "task_id", "job_id", "run_id",
            "item_id", "inbox_id", "entry_id", "attachment_id")


@dataclass
class State:
    """Ids of the rows one state holds, and of one account per role."""

    name: str
    ids: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)
    root_name: str = ""

    def url_values(self) -> dict[str, int]:
        """Every URL parameter the admin rules take: an existing id, else ``MISSING``."""
        return {k: self.ids.get(k, MISSING) for k in URL_KEYS}


def build_state(app: Flask, name: str) -> State:
    """Build state ``name`` (one of ``STATES``) on the app's empty database; commit."""
    assert name in STATES, name
    state = State(name)
    with app.app_context():
        root = make_org(name="中共状态测试委员会")
        state.root_name = root.name
        state.ids["org_id"] = root.id
        home = {role: root for role in ROLE_NAMES}
        if name != "empty":
            branches = [make_org(root, name=f"中共状态测试第{i}支部委员会") for i in (1, 2)]
            state.ids["org_id"] = branches[0].id
            home.update(branch_admin=branches[0], collector=branches[0])
        for role in ROLE_NAMES:
            user = make_user(role, home[role], username=f"{role}-{name}",
                             display_name=DISPLAY_NAMES[role])
            state.users[role], state.usernames[role] = user.id, user.username
        if name in ("empty", "orgs"):
            db.session.commit()
            return state
        members = [make_member(b, name=f"状态党员{i}{j}") for i, b in enumerate(branches, 1)
                   for j in "甲乙丙"]
        state.ids["member_id"] = members[0].id
        state.ids["root_id"] = root.id
        state.ids["other_member_id"] = members[1].id  # same branch
        _roster_traces(state, root)
        db.session.commit()
    if name != "roster":
        _campaigns(app, state, name)
    return state


def _roster_traces(state: State, root: Org) -> None:
    """What importing and reviewing a roster leaves: an import job and a sampling run."""
    job = ImportJob(kind="members", filename="附件4.xlsx", uploaded_by=state.users[
        "committee_admin"], scope_org_id=root.id, status="done", rows=6, created=6)
    db.session.add(job)
    run = draw_run(root, actor_id=state.users["org_department"], seed="states")
    db.session.flush()
    state.ids.update(job_id=job.id, run_id=run.id, item_id=run.items[0].id)


def _campaigns(app: Flask, state: State, name: str) -> None:
    deadline = today_local() + timedelta(days=30)
    with app.app_context():
        root = db.session.get(Org, state.ids["root_id"])
        assert root is not None
        campaign = run_unit(lambda: start_campaign(root, deadline, actor="admin:1",
                                                   submit=name != "draft"))
        state.ids["campaign_id"] = campaign.id
    if name == "draft":
        return
    member_id, other = state.ids["member_id"], state.ids["other_member_id"]
    state.ids["request_id"] = dispute(app, member_id, campaign.id)
    state.ids["task_id"] = call_task(app, other, campaign.id)
    with app.app_context():
        member = db.session.get(Member, member_id)
        assert member is not None
        reply = InboxMessage(source="sms_aliyun", dedupe_key=f"up:states-{name}", kind="reply",
                             raw=json.dumps({"phone_number": member.mobile, "content": "1"}),
                             member_id=member_id, org_id=member.org_id, status="queued",
                             note="回复内容有多种理解")
        db.session.add(reply)
        if name in ("closed", "two"):
            # No use case closes a campaign yet: a finished round is set closed directly.
            db.session.get(Campaign, campaign.id).status = CLOSED  # type: ignore[union-attr]
        db.session.commit()
        state.ids["inbox_id"] = reply.id
        if name == "two":
            again = db.session.get(Org, state.ids["root_id"])
            assert again is not None
            second = run_unit(lambda: start_campaign(again, deadline, actor="admin:1",
                                                     name="第二轮党员信息确认"))
            state.ids["campaign_id"] = second.id
