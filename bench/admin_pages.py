"""Time the admin pages on a large roster against a bare count in the same run.

    .venv/bin/python bench/admin_pages.py [--members 100000] [--db sqlite:////tmp/x.db] [--runs 5]

Seeds a synthetic roster (service.roster.demo) into a scratch database, opens a campaign over
the largest committee with its members spread over every state and day, adds an inspector and
a branch admin, then renders each page through the test client. The baseline is
``SELECT COUNT(*)`` of the campaign's members (the least any progress page must do); each page
prints its median time and the ratio to that baseline.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import String, case, func, literal_column, select, update  # noqa: E402

from service import create_app  # noqa: E402
from service.campaign.campaigns import start_campaign  # noqa: E402
from service.clock import now_utc, today_local  # noqa: E402
from service.extensions import db  # noqa: E402
from service.models import CampaignMember, Member, Org  # noqa: E402
from service.records.synthetic import synthetic_roster  # noqa: E402
from service.roster.demo import seed_members, seed_orgs  # noqa: E402
from testkit.admin import make_user, sign_in  # noqa: E402

STATES = ["pending", "confirmed", "confirmed", "confirmed", "proxy_confirmed", "disputed",
          "unreachable", "pending", "confirmed", "draft"]


def seed(app, members: int) -> dict[str, int]:
    with app.app_context():
        import flask_migrate

        flask_migrate.upgrade()
        roster = synthetic_roster(members, 1, today_local())
        org_ids = seed_orgs(roster)
        for _ in seed_members(roster, org_ids):
            db.session.commit()
        # One campaign over the whole roster: the top org every committee sits under.
        top = db.session.get(Org, org_ids[roster.top.index])
        sizes = db.session.execute(
            select(Org, func.count(Member.id)).join(Member, Member.org_id == Org.id)
            .group_by(Org.id).order_by(func.count(Member.id).desc()).limit(1)).first()
        branch = sizes[0]
        root = top
        campaign = start_campaign(root, today_local() + timedelta(days=10), actor="bench",
                                  submit=False)
        db.session.flush()
        start = now_utc() - timedelta(days=20)
        db.session.execute(update(CampaignMember).where(
            CampaignMember.campaign_id == campaign.id).values(
            state=case(*((CampaignMember.id % 10 == i, s) for i, s in enumerate(STATES))),
            state_changed_at=_spread(start)))
        inspector = make_user("org_department", root, username="bench-inspector")
        admin = make_user("branch_admin", branch, username="bench-branch")
        db.session.commit()
        total = db.session.scalar(select(func.count()).select_from(CampaignMember).where(
            CampaignMember.campaign_id == campaign.id))
        print(f"roster {members} members; campaign over {root.name}: {total} members; "
              f"largest branch {branch.name}")
        return {"campaign": campaign.id, "inspector": inspector.id, "branch": admin.id}


def _spread(start):
    # Settled on 20 different days, so the chart has a curve to draw.
    if db.engine.dialect.name == "mysql":
        return func.timestampadd(literal_column("DAY"), CampaignMember.id % 20, start)
    return func.datetime(start.isoformat(sep=" "), "+" + func.cast(CampaignMember.id % 20,
                                                                   String) + " days")


def timed(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="empty database URL (default: scratch SQLite)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="admin-bench-")
    uri = args.db or f"sqlite:///{tmp}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "TESTING": True},
                     instance_path=f"{tmp}/instance")  # keys generated into the scratch folder
    ids = seed(app, args.members)

    def baseline() -> None:
        with app.app_context():
            db.session.scalar(select(func.count()).select_from(CampaignMember).where(
                CampaignMember.campaign_id == ids["campaign"]))

    base = timed(baseline, args.runs)
    print(f"baseline SELECT COUNT(*) of the campaign's members: {base * 1000:.1f} ms")
    client = app.test_client()
    pages = [("inspector", "/admin/"), ("inspector", "/admin/members"),
             ("inspector", "/admin/members?state=pending"),
             ("inspector", "/admin/members?quality=no_phone"),
             ("inspector", "/admin/members?page=1000"),
             ("inspector", "/admin/corrections"), ("branch", "/admin/"),
             ("branch", "/admin/members"), ("branch", "/admin/collector")]
    for who, url in pages:
        sign_in(client, ids[who])

        def get(url: str = url) -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        spent = timed(get, args.runs)
        print(f"{who:10s} {url:40s} {spent * 1000:8.1f} ms  ratio {spent / base:6.1f}")


if __name__ == "__main__":
    main()
