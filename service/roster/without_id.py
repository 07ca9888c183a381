"""Members without an ID number (失联 or 停止党籍, 待补充): found by branch, name and birth date.

Without a number there is no blind index to find a person or forbid a duplicate, so an import
tells such people apart by branch + name + birth date: a row without a number updates the member
of that branch with the same name and birth date, and a later row that brings the number fills it
into the member who had none.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select

from service.extensions import db
from service.models import Member
from service.models.member import ACTIVE

Key = tuple[int, str, date | None]


def person_key(org_id: int, record: dict[str, Any]) -> Key:
    """Return what tells a member without an ID number apart within the roster."""
    return (org_id, record.get("name") or "", record.get("birth_date"))


def known(keys: Iterable[Key], *, numbered: bool) -> dict[Key, list[int]]:
    """Return the active members with these keys: those with an ID number too when
    ``numbered``, else only those without one (a number brought later fills those)."""
    wanted = set(keys)
    if not wanted:
        return {}
    stmt = select(Member.id, Member.org_id, Member.name, Member.birth_date).where(
        Member.record_status == ACTIVE, Member.name.in_({k[1] for k in wanted}),
        Member.org_id.in_({k[0] for k in wanted}))
    if not numbered:
        stmt = stmt.where(Member.id_number_bidx.is_(None))
    found: dict[Key, list[int]] = {}
    for member_id, org_id, name, birth in db.session.execute(stmt):
        if (org_id, name, birth) in wanted:
            found.setdefault((org_id, name, birth), []).append(member_id)
    return found
