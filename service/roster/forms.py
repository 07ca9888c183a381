"""Printing the forms from stored data: load a member, a branch or an org and render its PDF."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import select

from service.errors import NotFound
from service.evidence import anchors, annotation
from service.extensions import db
from service.forms.member_form import SignatureNote
from service.forms.render import Out, member_form_pdf, org_form_pdf
from service.models import Member, Org
from service.models.member import ACTIVE
from service.records.fields import ORG_FIELDS, UNIT_FIELDS
from service.roster.members import member_record

CHUNK = 200  # members loaded per query when printing a whole branch


def signature_note(member_id: int) -> SignatureNote | None:
    """Return how the member confirmed, for the signature box, or None if not (yet) known."""
    return SignatureNote.from_dict(annotation.signature_note(member_id))


def anchor_footer() -> str:
    """Return the line every printed form carries: the ledger head at printing time."""
    return f"{anchors.LABEL} {anchors.current().short}"


def member_pdf(member: Member, out: Out, *, font: str | None = None) -> int:
    """Write the member's 附件2 page to out; return the page count."""
    return member_form_pdf([(member_record(member), signature_note(member.id))], out, font=font,
                           footer=anchor_footer())


def branch_member_ids(org: Org) -> list[int]:
    """Return the ids of the org's own active members, ordered by name (then id)."""
    rows = db.session.execute(
        select(Member.id, Member.name)
        .where(Member.org_id == org.id, Member.record_status == ACTIVE)
    ).all()
    # Sorted here, not in SQL, so SQLite and MariaDB (collations differ) print the same order.
    return [r.id for r in sorted(rows, key=lambda r: (r.name, r.id))]


def branch_pdf(org: Org, out: Out, *, font: str | None = None) -> int:
    """Write one 附件2 page per active member of org, ordered by name; return the page count."""
    ids = branch_member_ids(org)
    if not ids:
        raise NotFound(f"党组织“{org.name}”下没有在册党员，无法打印《党员基本信息采集表》")
    return member_form_pdf(_records(ids), out, font=font, footer=anchor_footer())


def _records(ids: list[int]) -> Iterator[tuple[dict[str, Any], SignatureNote | None]]:
    # A chunk at a time, so a 1,000-member branch never sits in the session all at once.
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        by_id = {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_(chunk)))}
        for member_id in chunk:
            yield member_record(by_id[member_id]), signature_note(member_id)
        for member in by_id.values():
            db.session.expunge(member)


def org_form_data(org: Org) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return the org's 附件1 items 1-6 and each unit's items 7-10, keyed as in fields.py."""
    data = {f.key: getattr(org, f.key) for f in ORG_FIELDS}
    units = [{f.key: getattr(u, f.key) for f in UNIT_FIELDS} for u in org.units]
    return data, units


def org_pdf(org: Org, out: Out, *, printed_on: date | None = None, font: str | None = None) -> int:
    """Write the org's 附件1 (and 附页) to out; return the page count."""
    data, units = org_form_data(org)
    return org_form_pdf(data, units, out, printed_on=printed_on, font=font,
                        footer=anchor_footer())
