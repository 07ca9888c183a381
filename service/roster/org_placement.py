"""Where a 附件3's new orgs go in the tree, decided and reported before anything is written:
under the org its 上级党组织 column names, else under the sheet's 基层党委, else at the top."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from service.models import Org
from service.records.codes import COMMITTEE_ORG_TYPES
from service.records.org_sheet import OrgRow, OrgSheet, name_key
from service.records.problems import WARNING

COLUMN = "column"  # named in the 上级党组织 column
COMMITTEE_LINE = "committee"  # under the org named in the "基层党委：" line
TOP = "top"  # a top-level org
SHOWN_NAMES = 5  # names listed per parent in the plan's summary lines


@dataclass(frozen=True)
class Placement:
    """A new org and the parent it will be created under (None: at the top of the tree)."""

    name: str
    parent: str | None
    source: str  # COLUMN, COMMITTEE_LINE or TOP
    row: int


def place_orgs(sheet: OrgSheet, existing: dict[str, Org], within: set[int] | None = None,
               scope_name: str = "") -> list[Placement]:
    """Return where each valid new org goes, parents before children.

    Rows that cannot be placed (unknown parent, a parent row in error, a loop, outside
    ``within`` when given) get an error; placements the sheet did not state get a warning.
    """
    committee = sheet.header.party
    rows: dict[str, OrgRow] = {}
    for row in sheet.orgs:
        if isinstance(row.org.get("name"), str):
            rows.setdefault(name_key(row.org["name"]), row)
    ok = {key for key, row in rows.items() if row.ok}
    wanted: dict[str, tuple[str | None, str]] = {}
    for key, row in rows.items():
        if key in existing:
            _check_existing(row, existing[key], sheet.has_parents, within, scope_name)
        elif (found := _wanted_parent(row, key, sheet.has_parents, committee)) is not None:
            wanted[key] = found
    placed = _resolve(rows, wanted, ok, existing)
    anchors: dict[str, int | None] = {}
    out: list[Placement] = []
    for key in placed:
        row = rows[key]
        parent, source = wanted[key]
        pkey = name_key(parent) if parent else None
        anchor = (existing[pkey].id if pkey in existing else anchors.get(pkey)) if pkey else None
        anchors[key] = anchor
        if within is not None and anchor not in within:
            row.problems.append(row.header.problem(row.row, "name", _outside(
                parent, source, scope_name), "ORG_OUT_OF_SCOPE"))
            continue
        if not sheet.has_parents:
            row.problems.append(row.header.problem(row.row, "name", _assumed(
                row.org["name"], parent, committee, existing, rows), "PARENT_ASSUMED", WARNING))
        out.append(Placement(row.org["name"], parent, source, row.row))
    return out


def _wanted_parent(row: OrgRow, key: str, has_parents: bool, committee: str | None
                   ) -> tuple[str | None, str] | None:
    if has_parents and row.parent:
        if name_key(row.parent) == key:
            row.problems.append(row.header.problem(row.row, "parent",
                                                   "上级党组织不能是该党组织本身", "PARENT_SELF"))
            return None
        return row.parent, COLUMN
    if committee and key != name_key(committee):
        return committee, COMMITTEE_LINE
    if committee or has_parents or row.org.get("org_type") in COMMITTEE_ORG_TYPES:
        return None, TOP
    row.problems.append(row.header.problem(
        row.row, "name", "新党组织无法确定上级：请在表上方“基层党委：”后填写基层党委全称，"
        "或在表格最后加“上级党组织”列填写上级党组织全称", "PARENT_UNKNOWN"))
    return None


def _resolve(rows: dict[str, OrgRow], wanted: dict[str, tuple[str | None, str]], ok: set[str],
             existing: dict[str, Org]) -> list[str]:
    """Return the keys of the placeable new orgs, each after its parent; mark the others."""
    placed: list[str] = []
    done: set[str] = set()
    pending = [k for k in wanted if k in ok]
    while pending:
        left = []
        for key in pending:
            parent, source = wanted[key]
            pkey = name_key(parent) if parent else None
            if pkey is None or pkey in existing or pkey in done or (
                    source == COMMITTEE_LINE and pkey not in rows):
                placed.append(key)
                done.add(key)
            else:
                left.append(key)
        if len(left) == len(pending):
            break
        pending = left
    for key in pending:
        row = rows[key]
        parent, _ = wanted[key]
        pkey = name_key(parent or "")
        if pkey not in rows:
            msg = (f"上级党组织“{parent}”既不在本表中，也不在系统中：请先导入该党组织，"
                   "或核对全称")
        elif pkey not in ok or pkey not in wanted:
            msg = f"上级党组织“{parent}”（第{rows[pkey].row}行）有错误、未能导入，本行无法放置"
        elif _in_loop(key, wanted):
            msg = f"上级党组织关系成环（经第{rows[pkey].row}行“{parent}”又回到本行），请核对"
        else:
            msg = f"上级党组织“{parent}”（第{rows[pkey].row}行）无法放置，本行也无法放置"
        row.problems.append(row.header.problem(
            row.row, "parent" if "parent" in row.header.columns else "name", msg,
            "PARENT_NOT_FOUND" if pkey not in rows else "PARENT_UNPLACED"))
    return placed


def _in_loop(key: str, wanted: dict[str, tuple[str | None, str]]) -> bool:
    seen = set()
    at: str | None = key
    while at is not None and at in wanted and at not in seen:
        seen.add(at)
        parent = wanted[at][0]
        at = name_key(parent) if parent else None
        if at == key:
            return True
    return False


def _check_existing(row: OrgRow, org: Org, has_parents: bool, within: set[int] | None,
                    scope_name: str) -> None:
    if within is not None and org.id not in within:
        row.problems.append(row.header.problem(
            row.row, "name", f"党组织“{org.name}”不在您的管理范围（{scope_name}）内",
            "ORG_OUT_OF_SCOPE"))
        return
    current = org.parent.name if org.parent is not None else None
    if has_parents and row.parent and name_key(row.parent) != name_key(current or ""):
        row.problems.append(row.header.problem(
            row.row, "parent", f"该党组织在系统中的上级为“{current or '（无，最上级）'}”，"
            f"与表中“{row.parent}”不同：导入不移动已有党组织，其余信息照常更新", "PARENT_DIFFERS",
            WARNING))


def _outside(parent: str | None, source: str, scope_name: str) -> str:
    if parent is None:
        return f"不能新建最上级党组织：只能在您的管理范围（{scope_name}）内新建党组织"
    if source == COMMITTEE_LINE:
        return (f"表上方的基层党委“{parent}”不在您的管理范围（{scope_name}）内，"
                "不能在其下新建党组织")
    return f"上级党组织“{parent}”不在您的管理范围（{scope_name}）内，不能在其下新建党组织"


def _assumed(name: str, parent: str | None, committee: str | None, existing: dict[str, Org],
             rows: dict[str, OrgRow]) -> str:
    if parent is None:
        return f"表中没有“上级党组织”列：新党组织“{name}”将作为最上级党组织建立"
    new = "" if name_key(parent) in existing or name_key(parent) in rows else \
        "（该基层党委尚未建立，将按组织类别611党委新建）"
    return (f"表中没有“上级党组织”列：新党组织将建在表头所列基层党委“{parent}”之下{new}；"
            "党总支下的党支部也会直接建在基层党委下，如需保留层级，请用本系统导出的附件3"
            "（含“上级党组织”列）导入")


def plan_lines(placements: Iterable[Placement], *, done: bool = False) -> list[str]:
    """Return the plan (or, ``done``, what was done) in a few Chinese lines: how many new orgs
    go under which parent."""
    groups: dict[str | None, list[str]] = {}
    for p in placements:
        groups.setdefault(p.parent, []).append(p.name)
    lines = []
    for parent, names in groups.items():
        shown = "、".join(names[:SHOWN_NAMES]) + (f"等 {len(names)} 个" if len(names) > SHOWN_NAMES
                                                  else "")
        where = "作为最上级党组织" if parent is None else f"放在“{parent}”之下"
        lines.append(f"{'已' if done else '将'}增加党组织 {len(names)} 个，{where}：{shown}")
    return lines
