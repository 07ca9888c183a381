"""Apply a read 附件4 to the roster: place each member in their branch, detect 重复采集, then
create or update members (with version entries) all-or-nothing, only the valid rows, or the
valid rows and, held as 待修正, those whose values break content rules (service.roster.held).

What a running campaign does about new, changed and corrected members is the caller's: it
passes ``on_created``/``on_updated`` (service.campaign.member_import does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select

from service.crypto import blind_index, blind_indexes
from service.extensions import db
from service.models import Member, MemberVersion, Org
from service.records import supplement
from service.records.codes import BRANCH_ORG_TYPES
from service.records.idcard import mask_id
from service.records.member_sheet import MemberRow
from service.records.problems import WARNING
from service.records.text import strip_all_spaces
from service.records.xlsx_read import CellProblem, SheetHeader
from service.roster import held, history, without_id
from service.roster.members import COLUMN_KEYS, bulk_row, update_member

CHUNK = 1000
ACTOR = "import"
SOURCE = "import"


@dataclass
class ImportResult:
    """What an import found and did; the CLI prints it as the summary."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0
    error_rows: int = 0
    warnings: int = 0
    held: int = 0  # rows kept as 待修正 (new or already held members)
    released: int = 0  # held members this import made valid
    to_supplement: int = 0  # lost or suspended members written with items missing (待补充)
    problems: list[CellProblem] = field(default_factory=list)
    written: bool = False
    # existing members (matched by ID number) whose name the import would change: (row, old,
    # new); past a few, a header mix-up is likelier than real renames (see renames_refusal).
    renames: list[tuple[int, str, str]] = field(default_factory=list)

    def summary(self) -> str:
        """Return the Chinese one-line summary."""
        text = (f"新增 {self.created} 人，更新 {self.updated} 人，未变 {self.unchanged} 人，"
                f"错误 {self.error_rows} 行，警告 {self.warnings} 条")
        if self.held:
            text += f"，{self.held} 人暂存为待修正（不发确认卡）"
        if self.released:
            text += f"，{self.released} 人已改正、解除待修正"
        if self.to_supplement:
            text += f"，{self.to_supplement} 人信息待补充（失联或停止党籍，补齐前不发确认卡）"
        return text


@dataclass
class Pending:
    """A valid row waiting to be written: its sheet row, record, branch and ID blind index
    (None for a lost or suspended member collected without a number)."""

    row: int
    record: dict[str, Any]
    org_id: int
    bidx: str | None
    held: list[held.StoredProblem] | None = None  # what is wrong, for a row kept as 待修正
    member_id: int | None = None  # a held member found by name (its number was mistyped)


def _org_names() -> dict[str, tuple[int, str, str]]:
    rows = db.session.execute(select(Org.id, Org.name, Org.org_type))
    return {strip_all_spaces(name): (oid, name, otype) for oid, name, otype in rows}


def check_members(rows: Iterable[MemberRow], header: SheetHeader, result: ImportResult,
                  progress: Callable[[int], None] | None = None, *, hold: bool = False
                  ) -> list[Pending]:
    """Validate every row against the org tree, the file and the roster; keep the valid ones,
    and with ``hold`` also the rows that say who and where but break content rules."""
    orgs = _org_names()
    seen: dict[str, tuple[int, int]] = {}  # bidx -> (row, org_id)
    unnumbered: dict[without_id.Key, int] = {}  # branch, name, birth -> row
    pending: list[Pending] = []
    for n, row in enumerate(rows, start=1):
        if progress is not None and n % 100 == 0:
            progress(100)
        result.rows += 1
        rec = row.record
        problems = row.problems
        org = orgs.get(strip_all_spaces(rec["branch"])) if rec.get("branch") else None
        if rec.get("branch") and org is None:
            problems.append(header.problem(
                row.row, "branch", f"所在党支部“{rec['branch']}”不存在，请先导入党组织（附件3）"
                "或核对全称", "BRANCH_UNKNOWN"))
        elif org is not None:
            rec["branch"] = org[1]
            if org[2] not in BRANCH_ORG_TYPES:
                problems.append(header.problem(
                    row.row, "branch", f"“{org[1]}”不是党支部（组织类别 {org[2]}），请核实",
                    "BRANCH_NOT_BRANCH", WARNING))
        bidx = blind_index(rec["id_number"], "id_number") if rec.get("id_number") else None
        if bidx is not None and org is not None and bidx in seen:
            first_row, first_org = seen[bidx]
            what = ("所在党支部不同，属重复采集" if first_org != org[0]
                    else "同一人重复填写")
            problems.append(header.problem(
                row.row, "id_number",
                f"公民身份证号与第{first_row}行相同（{mask_id(rec['id_number'])}），{what}",
                "DUPLICATE_IN_FILE"))
        elif bidx is not None and org is not None:
            seen[bidx] = (row.row, org[0])
        elif org is not None and row.ok:
            key = without_id.person_key(org[0], rec)
            if key in unnumbered:
                problems.append(header.problem(
                    row.row, "name", f"与第{unnumbered[key]}行同一党支部、同名且出生日期相同，"
                    "均未填公民身份证号，属同一人重复填写", "DUPLICATE_IN_FILE"))
            unnumbered.setdefault(key, row.row)
        result.problems += problems
        result.warnings += sum(not p.is_error for p in problems)
        if row.ok and org is not None:
            # without an error a row lacks a number only where the member may wait for it
            pending.append(Pending(row.row, rec, org[0], bidx))
        elif hold and org is not None and bidx is not None and \
                not any(held.refuses(p, header) for p in problems):
            held.fit(rec)
            pending.append(Pending(row.row, rec, org[0], bidx, held=held.from_sheet(problems)))
        elif not row.ok:
            result.error_rows += 1
    pending = _check_roster(pending, header, result)
    result.held = sum(p.held is not None for p in pending)
    result.to_supplement = sum(bool(supplement.missing_items(p.record)) for p in pending)
    if progress is not None:
        progress(result.rows % 100)
    return pending


def _check_roster(pending: list[Pending], header: SheetHeader, result: ImportResult
                  ) -> list[Pending]:
    """Refuse people the roster already holds in another branch (重复采集)."""
    keep: list[Pending] = []
    typos = held.mistyped_numbers()
    for chunk in _chunks(pending):
        variants = _variants(chunk)
        unnumbered = without_id.known(
            [without_id.person_key(p.org_id, p.record) for p in chunk if p.bidx is None],
            numbered=True)
        filled = without_id.known(
            [without_id.person_key(p.org_id, p.record) for p in chunk if p.bidx is not None],
            numbered=False)
        found = {variants[bidx]: (name, is_held, person)
                 for bidx, name, is_held, person in db.session.execute(
                     select(Member.id_number_bidx, Org.name, Member.held, Member.name)
                     .join(Org, Member.org_id == Org.id)
                     .where(Member.id_number_bidx.in_(list(variants))))}
        for p in chunk:
            other, is_held, person = found.get(p.bidx or "", (None, False, None))
            if other is None:
                p.member_id = held.take_mistyped(typos, p.org_id, p.record)
            if p.member_id is None and other is None:
                same = (unnumbered if p.bidx is None else filled).get(
                    without_id.person_key(p.org_id, p.record), [])
                if len(same) > 1:
                    result.problems.append(header.problem(
                        p.row, "name", f"本党支部有{len(same)}名同名且出生日期相同的党员，"
                        "本行未填公民身份证号，无法确定是哪一位：请填写公民身份证号",
                        "AMBIGUOUS_WITHOUT_ID"))
                    result.error_rows += 1
                    continue
                p.member_id = same[0] if same else None
            if other is not None and other != p.record["branch"]:
                result.problems.append(header.problem(
                    p.row, "branch", f"该党员（{mask_id(p.record['id_number'])}）已在“{other}”"
                    "登记，与本表所在党支部不同，属重复采集；如系组织关系转接，请先办理转接",
                    "DUPLICATE_IN_ROSTER"))
                result.error_rows += 1
            elif p.held is not None and other is not None and not is_held:
                result.problems.append(header.problem(
                    p.row, "name", "该党员已在系统中且信息无误，本行有错误，未覆盖原记录："
                    "请改正本行后重新导入，或在系统中修改", "HELD_WOULD_OVERWRITE"))
                result.error_rows += 1
            else:
                keep.append(p)
                new_name = p.record.get("name")
                if person and new_name and strip_all_spaces(person) != strip_all_spaces(new_name):
                    result.renames.append((p.row, person, new_name))
    return keep


def renames_refusal(result: ImportResult, limit: int, how: str) -> str | None:
    """Return why the import is refused when it would rename more than ``limit`` existing
    members, naming the first rows; ``how`` says how to confirm (the option or checkbox)."""
    if len(result.renames) <= limit:
        return None
    shown = "；".join(f"第{row}行 {old}→{new}" for row, old, new in result.renames[:5])
    more = " 等" if len(result.renames) > 5 else ""
    return (f"本次导入将修改 {len(result.renames)} 名已有党员的姓名（按公民身份证号对应），超过 "
            f"{limit} 名：{shown}{more}。未导入任何数据；请核对表头和内容，确认确需修改的，{how}")


def write_members(pending: list[Pending], filename: str, result: ImportResult,
                  progress: Callable[[int], None] | None = None, *,
                  on_created: Callable[[list[int]], None] | None = None,
                  on_updated: Callable[[int], None] | None = None) -> None:
    """Create new members and update known ones, each change with a version entry (no commit).

    ``on_created`` gets the ids of each chunk's new members, ``on_updated`` each member whose
    record changed, while the chunk is still in the session.
    """
    basis = f"导入 {filename}"
    for chunk in _chunks(pending):
        variants = _variants(chunk)
        existing = {variants[m.id_number_bidx or ""]: m for m in db.session.scalars(
            select(Member).where(Member.id_number_bidx.in_(list(variants))))}
        by_id = {m.id: m for m in db.session.scalars(select(Member).where(
            Member.id.in_([p.member_id for p in chunk if p.member_id])))}
        new = [p for p in chunk if p.bidx not in existing and p.member_id not in by_id]
        for p in chunk:
            member = existing.get(p.bidx or "") or by_id.get(p.member_id or 0)
            if member is None:
                continue
            released = held.apply(member, p.held)  # before the update: one write, one revision
            # A row without a number keeps the number the roster already has.
            record = p.record if p.bidx is not None else \
                {k: v for k, v in p.record.items() if k != "id_number"}
            if update_member(member, record, None, actor=ACTOR, source=SOURCE, basis=basis):
                if on_updated is not None:
                    on_updated(member.id)
                result.updated += 1
            else:
                result.unchanged += 1
            if released:  # corrected: owed a card where a campaign is open
                result.released += 1
                if on_created is not None:
                    db.session.flush()
                    on_created([member.id])
        created = _create(new, basis)
        if created and on_created is not None:
            on_created(created)  # held members are left out until corrected
        result.created += len(new)
        db.session.flush()
        db.session.expunge_all()  # keep the identity map from growing with the roster
        if progress is not None:
            progress(len(chunk))
    result.written = True


def _create(new: list[Pending], basis: str) -> list[int]:
    if not new:
        return []
    ids = db.session.scalars(
        insert(Member).returning(Member.id, sort_by_parameter_order=True),
        [bulk_row(p.record, p.org_id) | {"held": p.held is not None, "held_problems": p.held}
         for p in new]).all()
    versions = []
    for member_id, p in zip(ids, new, strict=True):
        after = {k: p.record.get(k) for k in COLUMN_KEYS}
        after.update(branch=p.record["branch"], is_lost=bool(after["is_lost"]),
                     is_floating=bool(after["is_floating"]))
        versions.append({"member_id": member_id, "revision": 1, "actor": ACTOR,
                         "source": SOURCE, "basis": basis,
                         "changes": history.seal(history.diff({}, after))})
    db.session.execute(insert(MemberVersion), versions)
    return list(ids)


def _variants(chunk: list[Pending]) -> dict[str, str]:
    """Map every index a stored row may hold for these people to the one this import uses
    (while the data key is rotated a member may still carry the old key's index)."""
    return {alt: p.bidx for p in chunk if p.bidx is not None
            for alt in blind_indexes(p.record["id_number"], "id_number")}


def _chunks(items: list[Pending]) -> Iterator[list[Pending]]:
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]
