"""附件3 党组织和所在单位信息汇总表 with its 附页 (the further units of joint branches): read a
workbook into org records with their units, parents (when the sheet names them) and problems."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from openpyxl import load_workbook

from service.records import codes, fields, phones
from service.records.text import strip_all_spaces
from service.records.validate import validate_org
from service.records.xlsx_guard import (
    Limits,
    SheetFacts,
    inspect_workbook,
    sheet_part,
    unreadable_xml,
)
from service.records.xlsx_layout import ORG_LAYOUT, UNIT_READ_LAYOUT, column_index
from service.records.xlsx_read import (
    CellProblem,
    SheetFormatError,
    SheetHeader,
    SheetRow,
    Uncomputed,
    in_memory,
    read_table,
)
from service.records.xlsx_values import CellError, cell_text, is_blank, parse_choice, parse_code

_ORG_INDEX = column_index(ORG_LAYOUT)
_UNIT_INDEX = column_index(UNIT_READ_LAYOUT)
NOTES_SHEET = "说明"  # this system's exports explain their extra column there
_SITUATION_ALIASES = {"联合党支部": fields.JOINT_UNITS,
                      "与上级党组织在同一法人单位": fields.SAME_AS_PARENT,
                      "与上级相同": fields.SAME_AS_PARENT, "法人": fields.LEGAL_ENTITY}
UNIT_KEYS = ("name", "unit_type", "party_org_status", "unit_code")


def name_key(name: str) -> str:
    """Return an org or unit name reduced for matching (width and spaces do not count)."""
    return strip_all_spaces(name)


@dataclass
class UnitCell:
    """A unit and where it was read (its sheet header and row), for placing its problems."""

    unit: dict[str, Any]
    header: SheetHeader
    row: int
    prefix: str  # "unit." in the main sheet, "" in the 附页


@dataclass
class OrgRow:
    """One org read from 附件3, with its units (main row first, then the 附页's) and problems."""

    row: int
    org: dict[str, Any]
    header: SheetHeader
    units: list[UnitCell] = field(default_factory=list)
    problems: list[CellProblem] = field(default_factory=list)
    parent: str | None = None  # the 上级党组织 cell, when the sheet has that column

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)

    @property
    def unit_dicts(self) -> list[dict[str, Any]]:
        return [u.unit for u in self.units]


@dataclass
class OrgSheet:
    """A read 附件3: its header (with the 基层党委), its orgs, and problems of the 附页 alone."""

    header: SheetHeader
    orgs: list[OrgRow]
    problems: list[CellProblem]

    @property
    def has_parents(self) -> bool:
        """Whether the sheet says each org's parent (the 上级党组织 column)."""
        return "parent" in self.header.columns


def read_orgs(source: str | Path | IO[bytes], today: date, limits: Limits | None = None
              ) -> OrgSheet:
    """Read a 附件3 workbook (and its 附页 sheet, if any) into validated org rows, after
    looking it over (service.records.xlsx_guard)."""
    facts = inspect_workbook(source, limits or Limits())
    with unreadable_xml("文件"):
        wb = load_workbook(in_memory(source), read_only=True, data_only=True)
    try:
        with unreadable_xml("文件"):
            return _read(wb, facts, today)
    finally:
        wb.close()


def _read(wb: Any, facts: dict[str, SheetFacts], today: date) -> OrgSheet:
    sheets = [ws for ws in wb.worksheets if ws.sheet_state == "visible"
              and ws.title != NOTES_SHEET] or wb.worksheets
    extras = [ws for ws in sheets if "附页" in ws.title]
    main = next((ws for ws in sheets if ws not in extras), sheets[0])
    header, rows = read_table(main.iter_rows(), main.title, ORG_LAYOUT, _ORG_INDEX, ("name",),
                              facts.get(sheet_part(main)))
    orgs = [_parse_org(header, r) for r in rows]
    loose: list[CellProblem] = []
    for ws in extras + [ws for ws in sheets if ws is not main and ws not in extras]:
        try:
            unit_header, unit_rows = read_table(ws.iter_rows(), ws.title, UNIT_READ_LAYOUT,
                                                _UNIT_INDEX, ("name",),
                                                facts.get(sheet_part(ws)))
        except SheetFormatError:
            if ws in extras:
                raise
            continue  # some other sheet (a code table, notes): not ours
        loose += _attach_units(orgs, unit_header, list(unit_rows))
    for org in orgs:
        _validate(org, today)
    return OrgSheet(header, orgs, loose)


def _cell(header: SheetHeader, row: SheetRow, key: str, parse: Callable[[Any], Any],
          out: list[CellProblem]) -> Any:
    value = row.values.get(key)
    if isinstance(value, Uncomputed):
        out.append(header.problem(row.row, key, value.message, "FORMULA_NO_VALUE"))
        return _UNREADABLE
    try:
        return parse(row.values.get(key))
    except CellError as e:
        out.append(header.problem(row.row, key, str(e), "CELL_FORMAT"))
        return _UNREADABLE


_UNREADABLE = object()  # a cell reported already; validation must not report it as missing


def _text(value: Any) -> str | None:
    return cell_text(value) or None


def _code_text(value: Any) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return strip_all_spaces(cell_text(value)).upper()


def _contact_phone(value: Any) -> str | None:
    raw = _code_text(value)
    return raw and (phones.normalize_mobile(raw) or phones.normalize_landline(raw) or raw)


def _parse_unit(header: SheetHeader, row: SheetRow, prefix: str, out: list[CellProblem]
                ) -> dict[str, Any]:
    parsers: dict[str, Callable[[Any], Any]] = {
        "name": _text,
        "unit_type": lambda x: parse_code(x, codes.UNIT_TYPES,
                                          row.formats.get(prefix + "unit_type")),
        "party_org_status": lambda x: parse_code(x, codes.UNIT_PARTY_ORG),
        "unit_code": _code_text,
    }
    return {k: _cell(header, row, prefix + k, p, out) for k, p in parsers.items()}


def _parse_org(header: SheetHeader, row: SheetRow) -> OrgRow:
    found: list[CellProblem] = []
    org = {
        "name": _cell(header, row, "name", _text, found),
        "org_type": _cell(header, row, "org_type", lambda x: parse_code(x, codes.ORG_TYPES), found),
        "unit_situation": _cell(header, row, "unit_situation", lambda x: parse_choice(
            x, fields.UNIT_SITUATIONS, _SITUATION_ALIASES), found),
        "secretary": _cell(header, row, "secretary", _text, found),
        "contact": _cell(header, row, "contact", _text, found),
        "contact_phone": _cell(header, row, "contact_phone", _contact_phone, found),
    }
    result = OrgRow(row.row, org, header, problems=found,
                    parent=_text(row.values.get("parent")))
    if any(not is_blank(row.values.get("unit." + k)) for k in UNIT_KEYS):
        result.units.append(UnitCell(_parse_unit(header, row, "unit.", found), header, row.row,
                                     "unit."))
    return result


def _attach_units(orgs: list[OrgRow], header: SheetHeader, rows: list[SheetRow]
                  ) -> list[CellProblem]:
    by_name = {name_key(o.org["name"]): o for o in orgs if isinstance(o.org["name"], str)}
    loose: list[CellProblem] = []
    for row in rows:
        # A per-org 附页 (operations-manual layout) names its org in the "基层党组织：" line
        # instead of a column.
        owner = cell_text(row.values.get("org")) or header.party or ""
        org = by_name.get(name_key(owner))
        found: list[CellProblem] = []
        unit = _parse_unit(header, row, "", found)
        if org is None:
            loose.append(header.problem(row.row, "org" if "org" in header.columns else "name",
                                        f"附页中的党组织“{owner}”不在汇总表中", "UNIT_ORG_UNKNOWN"))
            continue
        org.problems += found
        if unit["party_org_status"] is None and "party_org_status" not in header.columns:
            unit["party_org_status"] = codes.JOINT_PARTY_ORG_STATUS  # that 附页 layout lacks it
        first = org.units[0].unit if org.units else None
        if first is not None and isinstance(unit["name"], str) and isinstance(first["name"], str) \
                and name_key(unit["name"]) == name_key(first["name"]) and len(org.units) == 1:
            continue  # a 附页 listing every unit repeats the main row's one
        org.units.append(UnitCell(unit, header, row.row, ""))
    return loose


def _validate(org: OrgRow, today: date) -> None:
    clean = {k: (None if v is _UNREADABLE else v) for k, v in org.org.items()}
    units = [{k: (None if v is _UNREADABLE else v) for k, v in u.unit.items()}
             for u in org.units]
    unreadable = {k for k, v in org.org.items() if v is _UNREADABLE}
    for i, u in enumerate(org.units):
        unreadable |= {f"units[{i}].{k}" for k, v in u.unit.items() if v is _UNREADABLE}
    org.org = clean
    for cell, unit in zip(org.units, units, strict=True):
        cell.unit = unit
    for p in validate_org(clean, units, today):
        if p.field in unreadable:
            continue
        if p.field.startswith("units[") and "]." in p.field:
            i, key = p.field[6:].split("].", 1)
            u = org.units[int(i)]
            org.problems.append(u.header.problem(u.row, u.prefix + key, p.message, p.rule,
                                                 p.severity))
        elif p.field.startswith("units["):
            u = org.units[int(p.field[6:-1])]
            org.problems.append(u.header.problem(u.row, "", p.message, p.rule, p.severity))
        else:
            key = "unit.name" if p.field == "units" else p.field
            org.problems.append(org.header.problem(org.row, key, p.message, p.rule, p.severity))
