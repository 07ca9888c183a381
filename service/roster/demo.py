"""Seeding a synthetic roster: its orgs, members in bulk with first versions, demo accounts.

Nothing here commits. ``seed_members`` is a generator that inserts one batch per step, so the
CLI can commit after each batch (a million members in one transaction would hold every row's
undo log at once) and show progress.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select

from service.extensions import db
from service.models import AdminUser, Member, MemberVersion, Org
from service.models.admin_user import BRANCH_ADMIN, COMMITTEE_ADMIN, ROLES
from service.records.synthetic import SyntheticRoster
from service.records.synthetic_orgs import SyntheticOrg
from service.roster import history
from service.roster.members import COLUMN_KEYS, bulk_row
from service.roster.orgs import create_org

SOURCE = "demo"
# Printed by the CLI: demo databases only. At least ADMIN_PASSWORD_MIN_LENGTH long, like any other.
DEMO_PASSWORD = "demo12345678"
BATCH = 1000
# werkzeug's scrypt takes a noticeable fraction of a second per hash, so only a handful.
MAX_COMMITTEE_ACCOUNTS = 5
BRANCH_ACCOUNTS = 3


@dataclass(frozen=True)
class DemoAccount:
    """A sign-in created for the demo, to be shown to the person running it."""

    username: str
    password: str
    role: str  # its Chinese label
    org_name: str


def roster_size() -> int:
    """Return how many members the database holds."""
    return db.session.scalar(select(func.count()).select_from(Member)) or 0


def has_orgs() -> bool:
    """Tell whether any org exists."""
    return db.session.scalar(select(Org.id).limit(1)) is not None


def seed_orgs(roster: SyntheticRoster) -> dict[int, int]:
    """Create the roster's orgs with their units; return plan index → org id."""
    ids: dict[int, int] = {}
    parents: dict[int, Org] = {}  # only committees and 党总支 are needed again, as parents
    for plan in roster.orgs:
        parent = parents.get(plan.parent) if plan.parent is not None else None
        org = create_org(parent, units=[dict(u) for u in plan.units], **plan.org_fields())
        ids[plan.index] = org.id
        if not plan.is_branch:
            parents[plan.index] = org
    db.session.flush()  # the last org's path
    return ids


def seed_members(roster: SyntheticRoster, org_ids: dict[int, int], batch: int = BATCH
                 ) -> Iterator[int]:
    """Insert the roster's members batch by batch, each with its creation version.

    Yields the number inserted after each batch; the caller may commit between steps.
    """
    pending: list[tuple[SyntheticOrg, dict[str, Any]]] = []
    for item in roster.records():
        pending.append(item)
        if len(pending) == batch:
            yield _insert(pending, org_ids)
            pending = []
    if pending:
        yield _insert(pending, org_ids)


def _insert(items: list[tuple[SyntheticOrg, dict[str, Any]]], org_ids: dict[int, int]) -> int:
    # Core executemany: ORM objects per member would be several times slower at this scale.
    rows = [bulk_row(record, org_ids[org.index]) for org, record in items]
    db.session.execute(insert(Member.__table__), rows)
    bidxs = [row["id_number_bidx"] for row in rows]
    ids = dict(db.session.execute(
        select(Member.id_number_bidx, Member.id).where(Member.id_number_bidx.in_(bidxs))).all())
    versions = []
    for (org, record), row in zip(items, rows, strict=True):
        after = {k: record.get(k) for k in COLUMN_KEYS} | {"branch": org.name}
        versions.append({
            "member_id": ids[row["id_number_bidx"]], "revision": 1, "actor": SOURCE,
            "source": SOURCE, "basis": "演示数据（合成，非真实人员）",
            "changes": history.seal(history.diff({}, after)),
        })
    db.session.execute(insert(MemberVersion.__table__), versions)
    return len(rows)


def seed_accounts(roster: SyntheticRoster, org_ids: dict[int, int]) -> list[DemoAccount]:
    """Add committee admins for the first committees and branch admins for the first branches.

    Usernames already taken are skipped; the accounts actually created are returned.
    """
    committees = [o for o in roster.orgs if o.parent is None][:MAX_COMMITTEE_ACCOUNTS]
    first = committees[0].index
    branches = [o for o in roster.branches() if o.parent == first][:BRANCH_ACCOUNTS]
    wanted = [(("admin" if n == 1 else f"admin{n}"), COMMITTEE_ADMIN, o)
              for n, o in enumerate(committees, 1)]
    wanted += [(f"branch{n}", BRANCH_ADMIN, o) for n, o in enumerate(branches, 1)]
    taken = set(db.session.scalars(
        select(AdminUser.username).where(AdminUser.username.in_([w[0] for w in wanted]))))
    accounts = []
    for username, role, plan in wanted:
        if username in taken:  # an account made by hand earlier is left alone
            continue
        user = AdminUser(username=username, display_name=f"{plan.contact}（演示）", role=role,
                         org_id=org_ids[plan.index])
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
        accounts.append(DemoAccount(username, DEMO_PASSWORD, ROLES[role], plan.name))
    db.session.flush()
    return accounts
