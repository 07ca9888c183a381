"""Member use cases: the canonical record of a member, creating and changing it with history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from service.crypto import blind_index, blind_indexes
from service.extensions import db
from service.models import Member, MemberVersion, Org
from service.records import supplement
from service.records.fields import MEMBER_FIELDS
from service.roster import history

# Record keys stored as same-named columns; "branch" is the org relation.
COLUMN_KEYS: tuple[str, ...] = tuple(f.key for f in MEMBER_FIELDS if f.key != "branch")


def member_record(member: Member) -> dict[str, Any]:
    """Return the member's 16 items as a canonical record dict (see service.records.fields)."""
    record = {k: getattr(member, k) for k in COLUMN_KEYS}
    record["branch"] = member.org.name
    return record


def find_by_id_number(id18: str) -> Member | None:
    """Return the member with this normalized 18-character ID number, if any."""
    return db.session.scalar(
        select(Member).where(Member.id_number_bidx.in_(blind_indexes(id18, "id_number")))
    )


def create_member(
    record: dict[str, Any], org: Org, *, actor: str, source: str, basis: str | None = None
) -> Member:
    """Add a member in ``org`` from a validated record, with its first version entry."""
    member = Member(org=org, **{k: record.get(k) for k in COLUMN_KEYS})
    member.is_lost = bool(record.get("is_lost"))
    member.is_floating = bool(record.get("is_floating"))
    mark_missing(member)
    db.session.add(member)
    db.session.flush()
    after = member_record(member)
    _add_version(member, history.diff({}, after), actor=actor, source=source, basis=basis)
    return member


def update_member(
    member: Member, record: dict[str, Any], org: Org | None = None, *,
    actor: str, source: str, basis: str | None,
) -> MemberVersion | None:
    """Apply a validated record to ``member``; record the change, or return None if none."""
    before = member_record(member)
    for key in COLUMN_KEYS:
        if key in record and record[key] != before[key]:
            setattr(member, key, record[key])
    if org is not None and org.id != member.org_id:
        member.org = org
    mark_missing(member)
    changes = history.diff(before, {**before, **member_record(member)})
    if not changes:
        return None
    db.session.flush()  # bumps member.revision (optimistic lock); a stale write fails here
    return _add_version(member, changes, actor=actor, source=source, basis=basis)


def _add_version(
    member: Member, changes: dict[str, list[Any]], *, actor: str, source: str, basis: str | None
) -> MemberVersion:
    version = MemberVersion(
        member=member, revision=member.revision, actor=actor, source=source, basis=basis,
        changes=history.seal(changes),
    )
    db.session.add(version)
    return version


def bulk_row(record: dict[str, Any], org_id: int) -> dict[str, Any]:
    """Return a members-table row for a Core bulk insert (blind indexes filled in here)."""
    row = {k: record.get(k) for k in COLUMN_KEYS}
    row.update(
        org_id=org_id,
        is_lost=bool(record.get("is_lost")),
        is_floating=bool(record.get("is_floating")),
        id_number_bidx=blind_index(record.get("id_number"), "id_number"),
        mobile_bidx=blind_index(record.get("mobile"), "mobile"),
        revision=1,
        held=False,  # every row of a bulk insert names the same columns
        held_problems=None,
        **_missing_columns(record),
    )
    return row


def _missing_columns(record: dict[str, Any]) -> dict[str, Any]:
    missing = supplement.missing_items(record)
    return {"to_supplement": bool(missing), "missing_items": missing or None}


def mark_missing(member: Member) -> bool:
    """Mark the member 待补充 with the items still missing, or clear the mark; return whether
    the record has just become complete (the gaps were filled)."""
    was = member.to_supplement
    cols = _missing_columns({k: getattr(member, k) for k in COLUMN_KEYS})
    if member.missing_items != cols["missing_items"]:
        member.missing_items = cols["missing_items"]
    member.to_supplement = cols["to_supplement"]
    return bool(was) and not member.to_supplement
