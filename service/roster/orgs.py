"""Org use cases: create orgs in the tree, find them, and scope queries to a subtree."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select

from service.errors import NotFound
from service.extensions import db
from service.models import Org, Unit
from service.records.codes import COMMITTEE_ORG_TYPES


def create_org(
    parent: Org | None, *, units: list[dict[str, Any]] | None = None, **fields: Any
) -> Org:
    """Add an org under ``parent`` with its units, and give it its tree path."""
    org = Org(parent=parent, **fields)
    org.units = [Unit(seq=i, **u) for i, u in enumerate(units or [], start=1)]
    db.session.add(org)
    db.session.flush()  # the path is built from ids, so the row needs one first
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    return org


def find_org(name: str) -> Org:
    """Return the org with this full name, or refuse with a message naming it."""
    org = db.session.scalar(select(Org).where(Org.name == name.strip()))
    if org is None:
        raise NotFound(f"党组织“{name}”不存在，请先导入或建立该党组织")
    return org


def in_subtree(org: Org) -> ColumnElement[bool]:
    """A condition on Org selecting ``org`` and every org below it."""
    return Org.path.startswith(org.path, autoescape=True)


def subtree_ids(org: Org) -> list[int]:
    """Return the ids of ``org`` and every org below it."""
    return list(db.session.scalars(select(Org.id).where(in_subtree(org))))


def ancestors(org: Org) -> list[Org]:
    """Return the orgs above ``org``, root first."""
    ids = [int(p) for p in org.path.strip("/").split("/")[:-1] if p]
    by_id = {o.id: o for o in db.session.scalars(select(Org).where(Org.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def is_top_committee(org: Org) -> bool:
    """Tell whether ``org`` is a top-level 基层党委 (组织类别 611 or 911).

    That is one at the top of the tree with no 党委 below it, or one directly under the top
    org when that is a 党委 over committees (a county's) or not a 党委 at all. Replies that no
    member's phone matches go to these committees' admins: someone there may act on them.
    """
    if org.org_type not in COMMITTEE_ORG_TYPES:
        return False
    if org.parent_id is not None:  # the parent is then no 基层党委: this committee is below it
        return org.path.count("/") == 3  # "/top/org/": directly under the top
    return db.session.scalar(select(Org.id).where(
        in_subtree(org), Org.id != org.id, Org.org_type.in_(COMMITTEE_ORG_TYPES)).limit(1)) is None
