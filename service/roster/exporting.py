"""Stream the roster out for 附件4 and the org tree for 附件3, scoped to a subtree."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from service.evidence import anchors
from service.extensions import db
from service.models import Member, Org
from service.models.member import ACTIVE
from service.records.codes import COMMITTEE_ORG_TYPES
from service.records.xlsx_write import Stamp
from service.roster.members import COLUMN_KEYS
from service.roster.orgs import ancestors, in_subtree

YIELD_PER = 1000


def _members_in(scope: Org | None) -> Select[Any]:
    stmt = (select(*[getattr(Member, k) for k in COLUMN_KEYS], Org.name.label("branch"))
            .join(Org, Member.org_id == Org.id)
            .where(Member.record_status == ACTIVE))
    return stmt.where(in_subtree(scope)) if scope is not None else stmt


def count_members(scope: Org | None) -> int:
    """Return how many active members an export of scope will hold."""
    inner = _members_in(scope).with_only_columns(Member.id).subquery()
    return db.session.scalar(select(func.count()).select_from(inner)) or 0


def member_records(scope: Org | None) -> Iterator[dict[str, Any]]:
    """Yield the active members of scope (or everyone) as records, by branch and name.

    Rows are fetched YIELD_PER at a time (a server-side cursor on MySQL), so memory stays
    flat however large the roster is.
    """
    stmt = _members_in(scope).order_by(Org.name, Member.name, Member.id)
    result = db.session.execute(stmt.execution_options(yield_per=YIELD_PER))
    for row in result:
        yield row._asdict()


def org_records(scope: Org | None) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Yield (org, units) records of scope (or every org), in tree order.

    Each org names its parent when the parent is exported too; the top of a scoped export
    names none, so the file re-imports anywhere under its 基层党委 line.
    """
    stmt = select(Org).options(selectinload(Org.units)).order_by(Org.path)
    if scope is not None:
        stmt = stmt.where(in_subtree(scope))
    names: dict[int, str] = {}
    for org in db.session.scalars(stmt):
        names[org.id] = org.name  # a path sorts after its parent's, so parents come first
        parent = names.get(org.parent_id) if org.parent_id is not None else None
        yield ({"name": org.name, "org_type": org.org_type,
                "unit_situation": org.unit_situation, "secretary": org.secretary,
                "contact": org.contact, "contact_phone": org.contact_phone, "parent": parent},
               [{"name": u.name, "unit_type": u.unit_type,
                 "party_org_status": u.party_org_status, "unit_code": u.unit_code}
                for u in org.units])


def committee_name(scope: Org | None) -> str:
    """Return the name for the "基层党委：" line: the 基层党委 the scope belongs to (the scope
    itself, or the nearest 党委 above it); for everything, the single top org if there is one."""
    if scope is not None:
        for org in reversed([*ancestors(scope), scope]):
            if org.org_type in COMMITTEE_ORG_TYPES:
                return org.name
        return (ancestors(scope) or [scope])[0].name  # no 党委 above: the top of its tree
    roots = db.session.scalars(select(Org.name).where(Org.parent_id.is_(None)).limit(2)).all()
    return roots[0] if len(roots) == 1 else ""


def anchor_stamp() -> Stamp:
    """Return what an exported table carries: the ledger head now, printed and in full."""
    anchor = anchors.current()
    return Stamp(footer=f"{anchors.LABEL} {anchor.short}",
                 properties={anchors.LABEL: anchor.full})
