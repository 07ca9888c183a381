"""Admin-side reminders (deadline digests, open corrections) and the policy: validation, CLI."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from service.campaign import corrections
from service.campaign.digests import remind_corrections, send_digests
from service.campaign.reminders import DEFAULT_POLICY, effective_policy, validate_policy
from service.errors import ServiceError
from service.extensions import db
from service.models import AdminUser, Campaign, OutboxMessage
from service.models.admin_user import BRANCH_ADMIN, COMMITTEE_ADMIN
from service.models.outbox import NOTICE
from service.unit_of_work import run_unit
from testkit.workflow import cm_of
from tests.reminder_helpers import controlled_clock, started_at


def notices() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == NOTICE)
                                   .order_by(OutboxMessage.id)))


def admin(username: str, role: str, org_id: int) -> AdminUser:
    user = AdminUser(username=username, display_name=f"{username}管理员", role=role,
                     org_id=org_id, password_hash="x")
    db.session.add(user)
    db.session.commit()
    return user


def test_deadline_digest_lists_who_is_missing_masked_and_only_once(app_ctx: Flask) -> None:
    with controlled_clock() as clock:
        campaign, members = started_at(members_per_branch=2)
        committee_admin = admin("c1", COMMITTEE_ADMIN, campaign.org_id)
        branch_admin = admin("b1", BRANCH_ADMIN, members[0].org_id)
        now = clock.set("2026-12-08 08:30")  # 3 working days before 12-14, before digest hour
        assert sum(run_unit(lambda: send_digests(now)).values()) == 0
        now = clock.set("2026-12-09 09:00")
        done = run_unit(lambda: send_digests(now))
        now = clock.set("2026-12-09 11:00")
        run_unit(lambda: send_digests(now))
    rows = notices()
    # Branch 1 has an admin, branch 2 gets an org-addressed notice, plus the committee admin.
    assert done["digests"] == 3 and len(rows) == 3
    by_admin = {r.payload.get("admin_user_id"): r for r in rows}
    branch_text = by_admin[branch_admin.id].payload["text"]
    assert "距截止还有3个工作日" in branch_text and "共2人" in branch_text
    assert members[0].name not in branch_text and members[0].name[0] + "*" in branch_text
    assert "尚有4人未完成" in by_admin[committee_admin.id].payload["text"]
    assert any(r.payload.get("audience") == "branch" and "admin_user_id" not in r.payload
               for r in rows)


def test_digest_on_the_deadline_day_and_not_on_other_days(app_ctx: Flask) -> None:
    with controlled_clock() as clock:
        started_at(members_per_branch=1)
        now = clock.set("2026-12-10 10:00")
        assert sum(run_unit(lambda: send_digests(now)).values()) == 0
        now = clock.set("2026-12-14 10:00")
        assert run_unit(lambda: send_digests(now))["digests"] > 0
    assert all("今天截止" in r.payload["text"] for r in notices())


def test_open_correction_reminds_branch_then_committee_near_the_limits(app_ctx: Flask) -> None:
    with controlled_clock() as clock:
        campaign, members = started_at(members_per_branch=1)
        branch_admin = admin("b1", BRANCH_ADMIN, members[0].org_id)
        committee_admin = admin("c1", COMMITTEE_ADMIN, campaign.org_id)
        cm = cm_of(campaign.id, members[0].id)
        run_unit(lambda: corrections.dispute(cm.card_id, members[0].id,
                                             proposed={"address": "新地址1号"},
                                             channel="wechat", identity="bound_openid"))
        for day in ("2026-12-02", "2026-12-03"):  # 2 and 3 working days open
            now = clock.set(f"{day} 10:00")
            run_unit(lambda at=now: remind_corrections(at))
        first = notices()
        now = clock.set("2026-12-10 10:00")  # 8 working days: committee too
        run_unit(lambda: remind_corrections(now))
        run_unit(lambda: remind_corrections(now))
    assert [r.payload["admin_user_id"] for r in first] == [branch_admin.id]
    assert "3个工作日未处理" in first[0].payload["text"]
    later = notices()[len(first):]
    assert {r.payload["admin_user_id"] for r in later} == {branch_admin.id, committee_admin.id}
    assert all("10个工作日" in r.payload["text"] for r in later)


def test_policy_defaults_and_validation_messages() -> None:
    assert effective_policy({}) == DEFAULT_POLICY
    bad: list[tuple[dict[str, Any], str]] = [
        ({"send_hour": 22}, "免打扰"),
        ({"reminder_days": [3, 2]}, "逐项递增"),
        ({"reminder_days": []}, "提醒工作日"),
        ({"caps": {"sms": 9}}, "提醒上限"),
        ({"ladder": ["sms", "sms"]}, "升级顺序"),
        ({"quiet_hours": [21]}, "免打扰时段"),
        ({"colour": "red"}, "无法识别"),
        ({"send_hour": 15, "send_until": 12}, "最晚发送时刻"),
    ]
    for items, message in bad:
        with pytest.raises(ServiceError) as info:
            validate_policy({**DEFAULT_POLICY, **items})
        assert message in info.value.message, items


def test_policy_cli_shows_sets_and_refuses(runner: Any, app: Flask) -> None:
    with app.app_context(), controlled_clock():
        campaign, _ = started_at(members_per_branch=1)
        campaign_id = campaign.id
    shown = runner.invoke(args=["reminders", "policy", "show"])
    assert shown.exit_code == 0 and "发送时刻：10点（默认）" in shown.output
    ok = runner.invoke(args=["reminders", "policy", "set", "send_hour=9",
                             'caps={"wechat": 1, "sms": 1}'])
    assert ok.exit_code == 0, ok.output
    refused = runner.invoke(args=["reminders", "policy", "set", "send_hour=23"])
    assert refused.exit_code != 0 and "免打扰" in refused.output
    with app.app_context():
        stored = db.session.get(Campaign, campaign_id).reminder_policy
    assert stored == {"send_hour": 9, "caps": {"wechat": 1, "sms": 1}}
    assert json.loads(json.dumps(stored)) == stored
    shown = runner.invoke(args=["reminders", "policy", "show"])
    assert "发送时刻：9点\n" in shown.output


def test_broken_stored_policy_reminds_by_the_defaults(
    app_ctx: Flask, caplog: pytest.LogCaptureFixture,
) -> None:
    from service.campaign.escalation import remind_members

    with controlled_clock() as clock:
        campaign, members = started_at(members_per_branch=1)
        campaign.reminder_policy = {"send_hour": "ten"}  # hand-edited row
        db.session.commit()
        now = clock.set("2026-12-01 10:00")
        done = run_unit(lambda: remind_members(now))
    assert done["sms"] == len(members)
    assert "提醒策略无效" in caplog.text
