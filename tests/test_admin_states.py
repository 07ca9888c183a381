"""EVERY PAGE IN EVERY STATE: each admin GET rule (from ``app.url_map``), as each role, in each
state a committee passes through (empty database … two campaigns, one closed), answers without
a server error; a URL naming a row the state does not have is a 404 (or 403 for a role the page
is not for). The CLI's exports, review and status commands behave in the empty states too.

A new rule with a URL parameter ``tests.admin_states.URL_KEYS`` does not know fails the test:
add the parameter there, and a row of its kind to the states that have one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, got_request_exception
from sqlalchemy import func, select

from service.extensions import db
from service.models import Member, Org
from testkit.admin import PASSWORD, ROLE_NAMES, login, sign_in
from tests.admin_states import STATES, URL_KEYS, State, build_state
from tests.xlsx_helpers import (
    BRANCH_A,
    BRANCH_B,
    COMMITTEE,
    person,
    tricky,
    write_member_roster,
    write_org_roster,
)

SKIP = {"admin_auth.login"}  # the sign-in form itself (tested in test_admin_auth)
NOT_FOUND = {403, 404}


def get_rules(app: Flask) -> list[Any]:
    """Every admin rule answering GET, sorted by path."""
    rules = [r for r in app.url_map.iter_rules()
             if r.rule.startswith("/admin") and "GET" in (r.methods or ())
             and r.endpoint not in SKIP]
    assert len(rules) > 20  # the whole admin web, not an empty map
    return sorted(rules, key=lambda r: r.rule)


def build_url(rule: Any, state: State) -> tuple[str, bool]:
    """The rule's URL with the state's ids, and whether every id it names exists."""
    unknown = set(rule.arguments) - set(URL_KEYS)
    assert not unknown, f"{rule.rule}: add {unknown} to URL_KEYS in tests/admin_states.py"
    values = state.url_values()
    url = rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]
    return url, all(k in state.ids for k in rule.arguments)


def _queries(state: State) -> list[dict[str, Any]]:
    """No filter, then the filters the list pages take, naming this state's rows."""
    org = state.ids["org_id"]
    filtered: dict[str, Any] = {"org": org, "org_id": org, "state": "unfinished",
                                "quality": "no_phone", "q": "状态", "status": "all"}
    if "campaign_id" in state.ids:
        filtered["campaign"] = state.ids["campaign_id"]
    return [{}, filtered]


@pytest.mark.parametrize("name", STATES)
def test_every_page_answers_in_every_state(make_app: Any, name: str) -> None:
    # Server errors answer 500 here (not raised into the test), so one run lists them all,
    # each with the exception behind it.
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    state = build_state(app, name)
    client = app.test_client()
    failures: list[str] = []
    errors: list[str] = []
    got_request_exception.connect(lambda _, exception, **kw: errors.append(repr(exception)),
                                  app, weak=False)
    for role in ROLE_NAMES:
        sign_in(client, state.users[role])
        for rule in get_rules(app):
            url, exists = build_url(rule, state)
            for query in _queries(state):
                r = client.get(url, query_string=query)
                if r.status_code >= 500 or (not exists and r.status_code not in NOT_FOUND):
                    failures.append(f"{role} GET {url} {query}: {r.status_code} {errors[-1:]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", ("empty", "orgs", "roster"))
def test_pages_say_what_to_do_before_a_campaign(app: Flask, name: str) -> None:
    state = build_state(app, name)
    client = app.test_client()
    sign_in(client, state.users["committee_admin"])
    for url in ("/admin/", "/admin/members", "/admin/exports"):
        page = client.get(url).get_data(as_text=True)
        assert "尚未开展信息确认工作" in page and "flask campaign start" in page, (name, url)
        if name == "empty":
            assert "导入党组织名册" in page and "flask orgs import" in page, url
        if name == "roster":
            assert "导入党员名册" not in page and "党员名册已导入（6 名党员）" in page, url
        else:
            assert "flask members import" in page, (name, url)


@pytest.mark.parametrize("name", ("draft", "open", "two"))
def test_no_missing_work_message_once_a_campaign_runs(app: Flask, name: str) -> None:
    state = build_state(app, name)
    client = app.test_client()
    sign_in(client, state.users["committee_admin"])
    for url in ("/admin/", "/admin/members", "/admin/exports"):
        page = client.get(url).get_data(as_text=True)
        assert "尚未开展信息确认工作" not in page, (name, url)


# ---- the command line in the empty states --------------------------------------------------

def _run(app: Flask, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args, result.output, result.exception)
    assert "Traceback" not in result.output, (args, result.output)
    return result


@pytest.mark.parametrize("name", ("empty", "orgs", "roster"))
def test_cli_in_the_empty_states(app: Flask, tmp_path: Path, name: str) -> None:
    state = build_state(app, name)
    members, orgs = tmp_path / "m.xlsx", tmp_path / "o.xlsx"
    for args, out in ((("members", "export", "-o", str(members)), members),
                      (("orgs", "export", "-o", str(orgs)), orgs),
                      (("quality", "report", "-o", str(tmp_path / "q.xlsx")), None)):
        result = _run(app, *args)
        assert result.exit_code == 0, (args, result.output)
        assert out is None or out.stat().st_size > 0
    assert ("flask members import" in _run(app, "members", "export", "-o", str(members)).output
            ) == (name != "roster")
    for args in (("quality", "report"), ("quality", "report", "--org", state.root_name)):
        result = _run(app, *args)
        assert result.exit_code == 0 and "数据质量核查" in result.output, (args, result.output)
    report = json.loads(_run(app, "quality", "report", "--json").output)
    assert report["total"]["members"] == (6 if name == "roster" else 0)
    # The other read-only commands: done, or refused in Chinese (never a traceback).
    branch = state.root_name if name == "empty" else "中共状态测试第1支部委员会"
    for args in (("forms", "org", "--org", state.root_name, "-o", str(tmp_path / "o.pdf")),
                 ("forms", "branch", "--org", branch, "-o", str(tmp_path / "b.pdf")),
                 ("evidence", "export", "--org", state.root_name, "-o", str(tmp_path / "e.zip")),
                 ("evidence", "verify"), ("qr", "poster", "--org", branch, "-o",
                                          str(tmp_path / "p.pdf")),
                 ("outbox", "status"), ("reminders", "calls")):
        result = _run(app, *args)
        assert result.exit_code == 0 or re.search("[\u4e00-\u9fff]", result.output), args
    # No campaign yet: an error, said in Chinese with the way forward.
    for args in (("campaign", "status"), ("campaign", "status", "--json")):
        result = _run(app, *args)
        assert result.exit_code == 1, (args, result.output)
        assert "尚未开展信息确认工作" in result.output and "flask campaign start" in result.output


def test_cli_status_of_a_draft_and_a_closed_campaign(app: Flask) -> None:
    build_state(app, "two")
    result = _run(app, "campaign", "status")
    assert result.exit_code == 0 and "第二轮党员信息确认" in result.output


# ---- as the committee will check it ----------------------------------------------------------

def test_a_committee_set_up_from_the_command_line(app: Flask, tmp_path: Path) -> None:
    """Orgs from an independently written 附件3, accounts from the CLI, every page through the
    real sign-in form; then the members from 附件4, and every page again."""
    committee = ["中共测试县林业局委员会", "611", "法人单位", "周七", "吴八", "13800138002",
                 "测试县林业局", "4", "11", "0"]
    branches = [[name, "631", "与上级党组织相同", "张三", "李四", "13800138000", None, None,
                 None, None] for name in (BRANCH_A, BRANCH_B)]
    orgs_file = write_org_roster(tmp_path / "附件3.xlsx", [committee, *branches])
    assert _run(app, "orgs", "import", str(orgs_file)).exit_code == 0
    homes = {"org_department": COMMITTEE, "committee_admin": COMMITTEE,
             "branch_admin": BRANCH_A, "collector": BRANCH_A}
    for role, org in homes.items():
        result = _run(app, "users", "create", role, "--role", role, "--org", org,
                      "--display-name", f"{role}张三", "--password", PASSWORD)
        assert result.exit_code == 0, result.output
    state = State("cli")
    with app.app_context():
        state.ids["org_id"] = db.session.scalar(select(Org.id).where(Org.name == BRANCH_A))
    _walk_signed_in(app, state, expect_missing="请先导入党员名册")

    members_file = write_member_roster(tmp_path / "附件4.xlsx", [person(1), person(2), tricky(3)])
    result = _run(app, "members", "import", str(members_file))
    assert result.exit_code == 0, result.output
    with app.app_context():
        state.ids["member_id"] = db.session.scalar(select(func.min(Member.id)))
    _walk_signed_in(app, state, expect_missing="党员名册已导入（3 名党员）")


def _walk_signed_in(app: Flask, state: State, expect_missing: str) -> None:
    for role in ROLE_NAMES:
        client = app.test_client()
        assert login(client, role).status_code == 302, role
        failures = []
        for rule in get_rules(app):
            url, exists = build_url(rule, state)
            r = client.get(url)
            if r.status_code >= 500 or (not exists and r.status_code not in NOT_FOUND):
                failures.append(f"{role} GET {url}: {r.status_code}")
        assert not failures, "\n".join(failures)
        if role == "committee_admin":
            assert expect_missing in client.get("/admin/members").get_data(as_text=True)
