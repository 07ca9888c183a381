"""The synthetic roster generator and `flask demo seed`."""

from __future__ import annotations

import inspect
from collections import Counter
from datetime import date, datetime, time
from itertools import islice

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from service.clock import LOCAL_TZ
from service.extensions import db
from service.models import AdminUser, AuditLog, Member, MemberVersion, Org, Unit
from service.records.codes import ORG_TYPES
from service.records.synthetic import synthetic_roster
from service.records.validate import validate_member, validate_org
from service.roster.demo import DEMO_PASSWORD
from service.roster.history import unseal
from service.roster.members import find_by_id_number

TODAY = date(2025, 6, 1)


def _snapshot(size: int, seed: int) -> tuple[list[object], list[dict[str, object]]]:
    roster = synthetic_roster(size, seed, TODAY)
    return list(roster.orgs), [record for _, record in roster.records()]


def test_same_seed_gives_the_same_roster_and_another_seed_a_different_one() -> None:
    orgs, records = _snapshot(600, 3)
    again_orgs, again_records = _snapshot(600, 3)
    other_orgs, other_records = _snapshot(600, 4)
    assert (orgs, records) == (again_orgs, again_records)
    assert len(records) == 600
    assert [o.name for o in orgs] != [o.name for o in other_orgs]
    assert {r["id_number"] for r in records}.isdisjoint(r["id_number"] for r in other_records)


@pytest.mark.slow
def test_members_are_streamed_not_listed() -> None:
    roster = synthetic_roster(1_000_000, 1, TODAY)
    stream = roster.records()
    assert inspect.isgenerator(stream)
    first = list(islice(stream, 3))
    assert [org.name for org, _ in first] == [roster.branches()[0].name] * 3
    assert sum(o.size for o in roster.branches()) == 1_000_000


def test_every_member_and_org_passes_validation_without_errors() -> None:
    roster = synthetic_roster(2000, 1, TODAY)
    errors: list[str] = []
    warnings: Counter[str] = Counter()
    for org, record in roster.records():
        assert record["branch"] == org.name
        for p in validate_member(record, TODAY):
            if p.is_error:
                errors.append(f"{p.rule}: {p.message}")
            else:
                warnings[p.rule] += 1
    for org in roster.orgs:
        for p in validate_org(org.org_fields(), org.units, TODAY):
            if p.is_error:
                errors.append(f"{org.name} {p.rule}: {p.message}")
            else:
                warnings[p.rule] += 1
    assert errors == [], f"{len(errors)} errors; warnings seen: {dict(warnings)}"


@pytest.mark.slow
def test_ids_and_mobiles_are_unique_over_200000_members() -> None:
    ids: set[str] = set()
    mobiles: set[str] = set()
    seen: Counter[str] = Counter()
    for _, r in synthetic_roster(200_000, 7, TODAY).records():
        ids.add(r["id_number"])
        if r["mobile"]:
            mobiles.add(r["mobile"])
            seen["mobile"] += 1
        seen["lost"] += r["is_lost"]
        seen["floating"] += r["is_floating"]
        seen["suspended"] += r["party_status"] == "停止党籍"
        seen["probationary"] += r["member_type"] == "预备党员"
        seen["landline"] += r["landline"] is not None
        seen["minority"] += r["ethnicity"] != "01"
    assert len(ids) == 200_000
    assert len(mobiles) == seen["mobile"]
    # a few of each, as in a real roster: 失联, 流动, 停止党籍 among the lost, 预备党员
    assert all(seen[k] > 100 for k in ("lost", "floating", "suspended", "probationary",
                                        "landline", "minority")), seen
    assert seen["suspended"] < seen["lost"] < seen["floating"] < 20_000, seen


def test_branch_sizes_and_joint_branches_look_like_a_real_committee() -> None:
    roster = synthetic_roster(2000, 1, TODAY)
    sizes = [b.size for b in roster.branches()]
    assert sum(sizes) == 2000
    assert min(sizes) < 3 and max(sizes) > 50, sorted(sizes)
    joint = [o for o in roster.orgs if o.org_type == "632"]
    assert joint and all(2 <= len(o.units) <= 5 and o.unit_situation == "联合支部" for o in joint)
    assert all(u["party_org_status"] == "2" for o in joint for u in o.units)
    assert all(ORG_TYPES.is_selectable(o.org_type) for o in roster.orgs)


def test_large_rosters_have_one_committee_per_2000_members_and_general_branches() -> None:
    roster = synthetic_roster(40_000, 2, TODAY)
    kinds = Counter(o.org_type for o in roster.orgs)
    assert kinds["611"] == 21  # 20 committees and the 党委 above them
    assert kinds["621"] > 0  # some big villages and communities are 党总支 with branches
    by_index = {o.index: o for o in roster.orgs}
    for org in roster.orgs:
        assert (org.parent is None) == (org is roster.top)
        assert (org.org_type == "611") == (org.parent in (None, roster.top.index))
        assert org.parent is None or org.parent < org.index  # parents are created first
        if org.org_type == "621":
            assert by_index[org.parent].org_type == "611"
    assert len({o.name for o in roster.orgs}) == len(roster.orgs)


@pytest.mark.parametrize("size", [9, 1_000_001])
def test_sizes_outside_the_range_are_refused(size: int) -> None:
    with pytest.raises(ValueError, match="党员人数应在10到1000000之间"):
        synthetic_roster(size, 1, TODAY)


# ---- seeding the database through the CLI --------------------------------------------------

def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_seed_writes_orgs_members_versions_and_accounts(app: Flask) -> None:
    # The seed builds its roster for today: make that TODAY, at noon (no midnight surprise).
    noon = datetime.combine(TODAY, time(12), LOCAL_TZ)
    with time_machine.travel(noon.timestamp()):
        result = app.test_cli_runner().invoke(
            args=["demo", "seed", "--members", "300", "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert "党员 300 名" in result.output and DEMO_PASSWORD in result.output
    expected = synthetic_roster(300, 1, TODAY)
    records = [r for _, r in expected.records()]
    with app.app_context():
        assert _count(Member) == 300
        assert _count(Org) == len(expected.orgs)
        assert _count(Unit) == sum(len(o.units) for o in expected.orgs)
        versions = db.session.scalars(select(MemberVersion)).all()
        assert len(versions) == 300 and {v.source for v in versions} == {"demo"}
        assert {u.username for u in db.session.scalars(select(AdminUser))} >= {"admin", "branch1"}
        assert db.session.scalar(select(AuditLog.action)) == "demo.seed"
        for record in (records[0], records[150], records[-1]):
            member = find_by_id_number(record["id_number"])
            assert member is not None
            assert (member.name, member.mobile, member.org.name) == (
                record["name"], record["mobile"], record["branch"])
            first = unseal(member.versions[0].changes)
            assert first["id_number"] == [None, record["id_number"]]
        admin = db.session.scalar(select(AdminUser).where(AdminUser.username == "admin"))
        assert admin is not None and admin.check_password(DEMO_PASSWORD)
        assert admin.org.parent is not None and admin.org.parent.parent_id is None
    # the full numbers never reach the terminal
    assert records[0]["id_number"] not in result.output


def test_if_empty_skips_a_second_run_and_without_it_the_run_is_refused(app: Flask) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed", "--members", "10"]).exit_code == 0
    skipped = runner.invoke(args=["demo", "seed", "--members", "10", "--if-empty"])
    assert skipped.exit_code == 0 and "跳过" in skipped.output
    refused = runner.invoke(args=["demo", "seed", "--members", "10"])
    assert refused.exit_code == 1 and "只能写入空数据库" in refused.output
    with app.app_context():
        assert _count(Member) == 10


def test_seed_refuses_sizes_outside_the_range(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--members", "9"])
    assert result.exit_code == 1 and "党员人数应在10到1,000,000之间" in result.output
    with app.app_context():
        assert _count(Org) == 0


def test_demo_campaign_is_started_once_and_queues_every_card(app: Flask) -> None:
    from service.models import Campaign, CampaignMember, OutboxMessage

    runner = app.test_cli_runner()
    refused = runner.invoke(args=["demo", "campaign"])
    assert refused.exit_code == 1 and "flask demo seed" in refused.output
    assert runner.invoke(args=["demo", "seed", "--members", "30"]).exit_code == 0
    first = runner.invoke(args=["demo", "campaign"])
    assert first.exit_code == 0 and "/console" in first.output, first.output
    again = runner.invoke(args=["demo", "campaign"])
    assert again.exit_code == 0 and "已有进行中" in again.output
    with app.app_context():
        assert _count(Campaign) == 2  # one per committee
        members = db.session.scalar(select(func.count(CampaignMember.id))) or 0
        assert members > 0 and _count(OutboxMessage) == members


def test_the_demo_password_meets_the_minimum_length(app: Flask) -> None:
    # Staff copy what the demo shows; it must not teach a password production would refuse.
    assert len(DEMO_PASSWORD) >= app.config["ADMIN_PASSWORD_MIN_LENGTH"]
