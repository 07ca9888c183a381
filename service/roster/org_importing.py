"""Apply a read 附件3 to the org tree: create or update orgs by full name with their units.

New orgs go where service.roster.org_placement puts them: under the 上级党组织 the sheet names
(this system's exports carry that column), else under the 基层党委 of the sheet's "基层党委："
line, which is created (as a 611 党委) when it exists neither in the roster nor as a row of the
sheet. Orgs already in the tree keep their place: an import never moves them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from service.extensions import db
from service.models import Org, Unit
from service.records.org_sheet import OrgRow, OrgSheet, name_key
from service.records.problems import WARNING
from service.records.xlsx_layout import PARTY_ROW
from service.records.xlsx_read import CellProblem
from service.roster.org_placement import Placement, place_orgs
from service.roster.orgs import create_org, subtree_ids

ORG_KEYS = ("name", "org_type", "unit_situation", "secretary", "contact", "contact_phone")
COMMITTEE_TYPE = "611"


@dataclass
class OrgImportResult:
    """What an org import found and did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_rows: int = 0
    warnings: int = 0
    problems: list[CellProblem] = field(default_factory=list)
    placements: list[Placement] = field(default_factory=list)
    written: bool = False

    def summary(self) -> str:
        """Return the Chinese one-line summary."""
        return (f"新增党组织 {self.created} 个，更新 {self.updated} 个，未变 {self.unchanged} 个，"
                f"错误 {self.error_rows} 行，警告 {self.warnings} 条")


def check_orgs(sheet: OrgSheet, result: OrgImportResult, within: Org | None = None
               ) -> list[OrgRow]:
    """Collect the problems of every row (duplicates, placement, scope); return the valid rows.

    With ``within`` (a web import), rows touching orgs outside that subtree are refused.
    """
    existing = {name_key(o.name): o for o in db.session.scalars(select(Org))}
    seen: dict[str, int] = {}
    for org in sheet.orgs:
        name = org.org.get("name")
        if isinstance(name, str):
            key = name_key(name)
            if key in seen:
                org.problems.append(org.header.problem(
                    org.row, "name", f"党组织名称与第{seen[key]}行重复", "DUPLICATE_ORG"))
            seen.setdefault(key, org.row)
    allowed = set(subtree_ids(within)) if within is not None else None
    result.placements = place_orgs(sheet, existing, allowed, within.name if within else "")
    valid: list[OrgRow] = []
    result.problems += sheet.problems
    for org in sheet.orgs:
        result.problems += org.problems
        result.warnings += sum(not p.is_error for p in org.problems)
        if org.ok:
            valid.append(org)
        else:
            result.error_rows += 1
    result.error_rows += sum(p.is_error for p in sheet.problems)
    return valid


def write_orgs(sheet: OrgSheet, valid: list[OrgRow], result: OrgImportResult) -> None:
    """Update the valid orgs already in the tree, then create the new ones where the check
    placed them, parents first (no commit)."""
    by_key = {name_key(o.name): o for o in db.session.scalars(select(Org))}
    new: dict[str, OrgRow] = {}
    for row in valid:
        key = name_key(row.org["name"])
        org = by_key.get(key)
        if org is None:
            new[key] = row
        elif _update(org, row):
            result.updated += 1
        else:
            result.unchanged += 1
    for place in result.placements:
        row = new.get(name_key(place.name))
        if row is None:
            continue
        parent = by_key.get(name_key(place.parent)) if place.parent else None
        if place.parent and parent is None:  # the sheet's 基层党委, in neither sheet nor tree
            parent = by_key[name_key(place.parent)] = _new_committee(sheet, place.parent, result)
        by_key[name_key(place.name)] = create_org(parent, units=row.unit_dicts, **_fields(row))
        result.created += 1
    db.session.flush()
    result.written = True


def _new_committee(sheet: OrgSheet, name: str, result: OrgImportResult) -> Org:
    result.created += 1
    result.problems.append(CellProblem(
        sheet.header.sheet, PARTY_ROW, "A", "基层党委",
        f"基层党委“{name}”尚未建立，已按组织类别 611 党委新建；"
        "请补充其书记、联系人和所在单位信息", "COMMITTEE_CREATED", WARNING))
    result.warnings += 1
    return create_org(None, name=name, org_type=COMMITTEE_TYPE)


def _fields(row: OrgRow) -> dict[str, Any]:
    return {k: row.org.get(k) for k in ORG_KEYS}


def _update(org: Org, row: OrgRow) -> bool:
    changed = False
    for k, v in _fields(row).items():
        if k != "name" and getattr(org, k) != v:
            setattr(org, k, v)
            changed = True
    units = row.unit_dicts
    current = [{k: getattr(u, k) for k in units[0]} for u in org.units] if units else [
        {} for _ in org.units]
    if current != units:
        org.units.clear()
        db.session.flush()  # the old (org, seq) rows must go before the new ones arrive
        org.units.extend(Unit(seq=i, **u) for i, u in enumerate(units, start=1))
        changed = True
    return changed
