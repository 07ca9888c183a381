"""The same person recorded twice: by 公民身份证号 anywhere, by 姓名+出生日期 in a branch."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import func, select, tuple_

from service.crypto import blind_index, blind_indexes
from service.extensions import db
from service.models import Member, Org
from service.models.member import ACTIVE
from service.records.idcard import mask_id, normalize_id, upgrade_15
from service.records.problems import ERROR, Problem

T = TypeVar("T")
_CHUNK = 500  # bound parameters per IN (...) list; far below every driver's limit


@dataclass(frozen=True, slots=True)
class Holder:
    """A member holding a duplicated number: enough to name them in a finding."""

    member_id: int
    org_id: int
    name: str


def name_birth_duplicates(org_ids: Sequence[int]) -> dict[int, Problem]:
    """Return a problem for every member sharing 姓名 and 出生日期 with another in the same org."""
    active = (Member.record_status == ACTIVE, Member.birth_date.is_not(None))
    groups: list[tuple[int, str, object]] = []
    for chunk in _chunks(org_ids):
        groups += [tuple(row) for row in db.session.execute(  # type: ignore[misc]
            select(Member.org_id, Member.name, Member.birth_date)
            .where(*active, Member.org_id.in_(chunk))
            .group_by(Member.org_id, Member.name, Member.birth_date)
            .having(func.count() > 1))]
    found: dict[int, Problem] = {}
    key = tuple_(Member.org_id, Member.name, Member.birth_date)
    for chunk in _chunks(groups):
        rows = db.session.execute(
            select(Member.id, Member.org_id, Member.name, Member.birth_date)
            .where(*active, key.in_(chunk)))
        by_group: dict[tuple[object, ...], list[int]] = {}
        for member_id, *group in rows:
            by_group.setdefault(tuple(group), []).append(member_id)
        for (_, name, birth), ids in by_group.items():
            for member_id in ids:
                found[member_id] = Problem(
                    "name", "DUPLICATE_NAME_BIRTH",
                    f"本党组织有{len(ids)}名党员姓名“{name}”、出生日期 {birth} 均相同，疑似同一人"
                    "重复采集：请核对公民身份证号，核实后将重复的记录归档")
    return found


@dataclass
class IdTracker:
    """Collects, while members stream by, the ID numbers stored in a non-canonical form.

    The unique blind index already forbids two rows with the same stored number, but "110105
    491231002" (15 digits) and "11010519491231002X" are the same person with different indexes.
    Only such non-canonical numbers are kept, so memory stays small on clean data.
    """

    pending: dict[str, list[Holder]] = field(default_factory=dict)

    def see(self, member_id: int, org_id: int, name: str, stored: str | None) -> None:
        """Remember this member if its stored number is not its canonical 18-digit form."""
        if not stored:
            return
        canonical = normalize_id(stored)
        if len(canonical) == 15 and canonical.isdigit():
            canonical = upgrade_15(canonical)
        if canonical != stored and len(canonical) == 18:
            self.pending.setdefault(canonical, []).append(Holder(member_id, org_id, name))


def id_duplicates(tracker: IdTracker, org_names: dict[int, str]
                  ) -> list[tuple[Holder, str, Problem]]:
    """Return (holder, masked ID, problem) for each in-scope member whose ID another member has.

    Looks across all active members, in scope or not: a person recorded in two committees is
    the same person twice. Two sources: numbers that are equal once normalized (tracker), and
    rows sharing a blind index, which the unique constraint should make impossible.
    """
    groups: dict[str, dict[int, Holder]] = {}
    masked: dict[str, str] = {}
    by_index = {blind_index(c, "id_number"): c for c in tracker.pending}
    for index, canonical in by_index.items():
        groups[index] = {h.member_id: h for h in tracker.pending[canonical]}
        masked[index] = mask_id(canonical)
    # While the data key is rotated a member may still carry the old key's index.
    alias = {alt: index for index, c in by_index.items() for alt in blind_indexes(c, "id_number")}
    for chunk in _chunks(list(alias)):
        for member in db.session.scalars(select(Member).where(
                Member.record_status == ACTIVE, Member.id_number_bidx.in_(chunk))):
            groups[alias[member.id_number_bidx or ""]][member.id] = _holder(member)
    twice = select(Member.id_number_bidx).where(
        Member.record_status == ACTIVE, Member.id_number_bidx.is_not(None)
    ).group_by(Member.id_number_bidx).having(func.count() > 1)
    for member in db.session.scalars(select(Member).where(
            Member.record_status == ACTIVE, Member.id_number_bidx.in_(twice))):
        index = member.id_number_bidx or ""
        groups.setdefault(index, {})[member.id] = _holder(member)
        masked.setdefault(index, mask_id(normalize_id(member.id_number or "")))
    out: list[tuple[Holder, str, Problem]] = []
    for index, holders in groups.items():
        for holder in holders.values():
            others = [h for h in holders.values() if h.member_id != holder.member_id]
            if others and holder.org_id in org_names:
                out.append((holder, masked[index], _duplicate_problem(others, org_names)))
    return out


def _holder(member: Member) -> Holder:
    return Holder(member.id, member.org_id, member.name)


def _duplicate_problem(others: list[Holder], org_names: dict[int, str]) -> Problem:
    def where(h: Holder) -> str:
        # The other copy may sit outside the report's scope; its org is still worth naming.
        org = org_names.get(h.org_id) or db.session.get_one(Org, h.org_id).name
        return f"{org}的{h.name}"

    listed = "、".join(where(h) for h in others)
    return Problem("id_number", "DUPLICATE_ID_NUMBER",
                   f"公民身份证号与{listed}相同，同一人被重复采集：请核实后保留一条，将重复的记录归档",
                   ERROR)


def _chunks(items: Iterable[T]) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == _CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch
