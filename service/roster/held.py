"""Members held for correction (待修正): imported although some values break the content rules,
kept with what is wrong, and released once an edit or a re-import makes the record valid."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import func, select

from service.extensions import db
from service.models import Member, Org
from service.models.member import ACTIVE
from service.records.fields import MEMBER_LABELS, SENSITIVE_MEMBER_KEYS
from service.records.member_sheet import mask_numbers
from service.records.validate import validate_member
from service.records.xlsx_read import CellProblem, SheetHeader
from service.roster.members import member_record
from service.roster.orgs import in_subtree

# A row must say who and where: these columns' errors refuse it even when rows may be held...
IDENTITY_KEYS = ("name", "id_number", "branch")
# ...except a number that reads as 18 characters but breaks the coding rules: it still finds
# the person (and a re-import with the right number finds the held member by name and branch).
HOLDABLE_ID_RULES = frozenset({"ID_PROVINCE", "ID_BIRTH_INVALID", "ID_BIRTH_RANGE",
                               "ID_CHECKSUM"})
LABEL = "待修正"
SHORT_NUMBER = 32  # a phone or ID number longer than this is no number: not kept
_LIMITS = {c.key: c.type.length for c in Member.__table__.columns
           if isinstance(getattr(c.type, "length", None), int)}

StoredProblem = dict[str, str]


def refuses(problem: CellProblem, header: SheetHeader) -> bool:
    """Tell whether an error keeps its row out even when rows may be held."""
    identity = {header.letter(k) for k in IDENTITY_KEYS} - {""}
    return problem.is_error and problem.column in identity and \
        problem.rule not in HOLDABLE_ID_RULES


def from_sheet(problems: Iterable[CellProblem]) -> list[StoredProblem]:
    """Return a row's errors as a held member keeps them (personal numbers masked)."""
    return [{"rule": p.rule, "field": p.header, "message": mask_numbers(p.message)}
            for p in problems if p.is_error]


def fit(record: dict[str, Any]) -> None:
    """Blank the values of a held row too long for their columns (its problems name them)."""
    for key, value in record.items():
        if key in IDENTITY_KEYS or not isinstance(value, str):
            continue
        limit = SHORT_NUMBER if key in SENSITIVE_MEMBER_KEYS else _LIMITS.get(key)
        if limit is not None and len(value) > limit:
            record[key] = None


def apply(member: Member, problems: list[StoredProblem] | None) -> bool:
    """Hold the member with these problems, or release it when there are none.

    Return True when a held member was released (the caller enrols it where a campaign is
    open: a released member is owed a card).
    """
    if problems:
        member.held, member.held_problems = True, problems
        return False
    if not member.held:
        return False
    member.held, member.held_problems = False, None
    return True


def recheck(member: Member, today: date) -> bool:
    """Validate a held member's record again after an edit; release it if no error is left.

    Return True when it was released. The problems kept are replaced by the current ones.
    """
    if not member.held:
        return False
    errors = [p for p in validate_member(member_record(member), today) if p.is_error]
    return apply(member, [{"rule": p.rule, "field": MEMBER_LABELS.get(p.field, p.field),
                           "message": mask_numbers(p.message)} for p in errors])


Mistyped = dict[tuple[int, str], tuple[int, date | None]]


def mistyped_numbers() -> Mistyped:
    """Return {(branch id, name): (member id, birth date)} of held members whose ID number was
    held as wrong, where that pair is unique. Held members are few: one query."""
    found: dict[tuple[int, str], list[tuple[int, date | None]]] = {}
    for member_id, org_id, name, birth, problems in db.session.execute(select(
            Member.id, Member.org_id, Member.name, Member.birth_date, Member.held_problems)
            .where(Member.held.is_(True), Member.record_status == ACTIVE)):
        if any(p.get("rule") in HOLDABLE_ID_RULES for p in problems or []):
            found.setdefault((org_id, name), []).append((member_id, birth))
    return {key: held[0] for key, held in found.items() if len(held) == 1}


def take_mistyped(typos: Mistyped, org_id: int, record: dict[str, Any]) -> int | None:
    """Return the held member a row with an unknown ID number corrects, if any: same branch,
    same name and birth date, its own number held as wrong. Each is taken once per import, so
    a re-import carrying the right number updates the held member instead of adding another."""
    key = (org_id, record.get("name") or "")
    found = typos.get(key)
    if found is None or (found[1] is not None and found[1] != record.get("birth_date")):
        return None
    del typos[key]
    return found[0]


def held_count(scope: Org | None) -> int:
    """Return how many active members of scope (everyone when None) are held."""
    stmt = select(func.count(Member.id)).where(Member.held.is_(True),
                                               Member.record_status == ACTIVE)
    if scope is not None:
        stmt = stmt.where(Member.org_id.in_(select(Org.id).where(in_subtree(scope))))
    return db.session.scalar(stmt) or 0
