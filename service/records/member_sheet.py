"""附件4 党员基本信息汇总表: read a workbook into canonical member records with their problems,
and write one, streaming, from an iterator of records."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from openpyxl import load_workbook

from service.records import codes, divisions, fields, idcard, phones
from service.records.column_sense import ColumnSense
from service.records.validate import validate_member
from service.records.xlsx_guard import Limits, inspect_workbook, sheet_part, unreadable_xml
from service.records.xlsx_layout import MEMBER_LAYOUT, column_index
from service.records.xlsx_read import (
    CellProblem,
    SheetFormatError,
    SheetHeader,
    SheetRow,
    Uncomputed,
    in_memory,
    read_table,
)
from service.records.xlsx_values import (
    CellError,
    cell_text,
    is_blank,
    lost_leading_zero,
    parse_choice,
    parse_code,
    parse_date,
    parse_year_month,
    parse_yes_no,
)
from service.records.xlsx_write import Stamp, write_table

REQUIRED_COLUMNS = ("name", "id_number", "branch")
_INDEX = {**column_index(MEMBER_LAYOUT), "联系电话": "phone"}
_CJK_NAME = re.compile(r"[\u3400-\u9fff\s]+")
_SEX_ALIASES = {"男性": "男", "女性": "女"}
_TYPE_ALIASES = {"正式": "正式党员", "中共党员": "正式党员", "党员": "正式党员", "预备": "预备党员"}
_STATUS_ALIASES = {"停止": "停止党籍", "已停止党籍": "停止党籍"}
_DATE_KEYS = ("birth_date", "joined_on", "full_on")
_CODED = (("ethnicity", codes.ETHNICITIES), ("education", codes.EDUCATION), ("job", codes.JOBS))


@dataclass
class MemberRow:
    """One data row read from a sheet: its canonical record and every problem found in it."""

    row: int
    record: dict[str, Any]
    problems: list[CellProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)


@dataclass
class MemberSheet:
    """A read 附件4: what its header said, and its rows (an iterator: read once)."""

    path: str
    header: SheetHeader
    rows: Iterator[MemberRow]
    total: int = 0  # data rows the sheet claims (its dimension), for a progress bar


def read_members(source: str | Path | IO[bytes], today: date, limits: Limits | None = None
                 ) -> MemberSheet:
    """Open a 附件4 workbook read-only and return its header and parsed rows, lazily.

    The workbook is looked over first (service.records.xlsx_guard); a broken sheet, merged
    cells in data rows, or a column that does not hold what its header says raise
    SheetFormatError, at the start or while the rows are read."""
    facts = inspect_workbook(source, limits or Limits())
    with unreadable_xml("文件"):
        wb = load_workbook(in_memory(source), read_only=True, data_only=True)
    # The roster is the first visible sheet whose header we can find (some files open with a
    # sheet of instructions or code tables).
    sheets = [ws for ws in wb.worksheets if ws.sheet_state == "visible"] or wb.worksheets
    first_error: SheetFormatError | None = None
    for ws in sheets:
        try:
            with unreadable_xml(f"工作表“{ws.title}”"):
                header, rows = read_table(ws.iter_rows(), ws.title, MEMBER_LAYOUT, _INDEX,
                                          REQUIRED_COLUMNS, facts.get(sheet_part(ws)))
            break
        except SheetFormatError as e:
            first_error = first_error or e
    else:
        wb.close()
        raise first_error or SheetFormatError("工作簿中没有工作表")

    def parsed() -> Iterator[MemberRow]:
        sense = ColumnSense(header)
        try:
            with unreadable_xml(f"工作表“{header.sheet}”"):
                for row in rows:
                    sense.see(row.row, row.values)
                    yield parse_member_row(header, row, today)
            sense.check()
        finally:
            wb.close()

    total = max((ws.max_row or 0) - header.header_rows[-1], 0)
    return MemberSheet(str(source), header, parsed(), total)


def parse_member_row(header: SheetHeader, row: SheetRow, today: date) -> MemberRow:
    """Turn one sheet row into a canonical record, then validate it."""
    record: dict[str, Any] = {f.key: None for f in fields.MEMBER_FIELDS}
    record["is_lost"] = record["is_floating"] = None
    found: list[CellProblem] = []
    bad: set[str] = set()
    v, fmt = row.values, row.formats

    def cell(key: str, parse: Callable[[Any], Any], target: str | None = None) -> None:
        if isinstance(v.get(key), Uncomputed):
            found.append(header.problem(row.row, key, v[key].message, "FORMULA_NO_VALUE"))
            bad.add(target or key)
            return
        try:
            record[target or key] = parse(v.get(key))
        except CellError as e:
            found.append(header.problem(row.row, key, str(e), "CELL_FORMAT"))
            bad.add(target or key)

    cell("name", _name)
    cell("branch", lambda x: cell_text(x) or None)
    cell("id_number", _id_text)
    cell("sex", lambda x: parse_choice(x, fields.SEXES, _SEX_ALIASES))
    for key, table in _CODED:
        cell(key, lambda x, t=table, k=key: parse_code(x, t, fmt.get(k)))
    if record["job"] and lost_leading_zero(v.get("job"), record["job"], codes.JOBS):
        found.append(header.problem(
            row.row, "job", f"工作岗位存成了数字 {record['job']}，若本应是“0{record['job']}”"
            f"（{codes.JOBS.name_of('0' + record['job'])}），请把该列设为文本后重填",
            "JOB_LEADING_ZERO", "warning"))
    for key in _DATE_KEYS:
        cell(key, parse_date)
    cell("member_type", lambda x: parse_choice(x, fields.MEMBER_TYPES, _TYPE_ALIASES))
    cell("mobile", lambda x: _phone(x, phones.normalize_mobile))
    cell("landline", lambda x: _phone(x, phones.normalize_landline))
    if "phone" in v and not is_blank(v["phone"]):
        raw = _number_text(v["phone"])
        target = "landline" if phones.normalize_mobile(raw) is None and \
            phones.normalize_landline(raw) is not None else "mobile"
        cell("phone", lambda x: _phone(x, phones.normalize_mobile if target == "mobile"
                                       else phones.normalize_landline), target)
    cell("address", lambda x: cell_text(x) or None)
    cell("party_status", lambda x: parse_choice(x, fields.PARTY_STATUSES, _STATUS_ALIASES))
    cell("is_lost", parse_yes_no)
    cell("lost_since", parse_year_month)
    cell("is_floating", parse_yes_no)
    cell("flow_to", _flow)

    raw_id = record["id_number"]
    for p in validate_member(record, today):
        if p.field not in bad:
            found.append(_at(header, row.row, p))
    if raw_id:
        id18, _ = idcard.check_id_number(raw_id, today)
        record["id_number"] = id18 or raw_id
    return MemberRow(row.row, record, found)


def _at(header: SheetHeader, row: int, p: Any) -> CellProblem:
    key = p.field if p.field in header.columns else (
        "phone" if p.field in ("mobile", "landline") and "phone" in header.columns else p.field)
    return header.problem(row, key, p.message, p.rule, p.severity)


def _name(value: Any) -> str | None:
    text = cell_text(value)
    # "张 三": a space inside a Chinese name is a typing slip; "买买提·艾力" keeps its dot.
    return (re.sub(r"\s", "", text) if _CJK_NAME.fullmatch(text) else text) or None


def _number_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return cell_text(value)


def _id_text(value: Any) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        digits = _number_text(value)
        if len(digits) > 15:  # a double holds 15-16 digits: the last ones are gone
            raise CellError("公民身份证号被存成了数字，末几位已丢失，请把该列设为文本后重新填写")
        return digits
    return idcard.normalize_id(cell_text(value))


def _phone(value: Any, normalize: Callable[[str], str | None]) -> str | None:
    if is_blank(value):
        return None
    raw = _number_text(value)
    return normalize(raw) or raw


def _flow(value: Any) -> str | None:
    if is_blank(value):
        return None
    text = _number_text(value)
    code = divisions.parse_flow(text)
    if code is None:
        raise CellError(f"外出流向“{text}”无法识别，应写省、市、县（市、区、旗）的名称，"
                        "如 浙江省杭州市西湖区")
    return code


# ---- export ----------------------------------------------------------------------------------

def member_cells(record: dict[str, Any]) -> list[Any]:
    """Return one 附件4 data row (without 序号): codes, 男/女, 是/否, dates as text."""
    flow = record.get("flow_to")
    return [
        record.get("name"), record.get("branch"), record.get("id_number"), record.get("sex"),
        record.get("ethnicity"), _iso(record.get("birth_date")), record.get("education"),
        record.get("member_type"), _iso(record.get("joined_on")), _iso(record.get("full_on")),
        record.get("job"), record.get("mobile"), record.get("landline"), record.get("address"),
        record.get("party_status"), _yes_no(record.get("is_lost")), record.get("lost_since"),
        _yes_no(record.get("is_floating")), (divisions.name_of(flow) or flow) if flow else None,
    ]


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _yes_no(flag: bool | None) -> str | None:
    return None if flag is None else (fields.YES if flag else fields.NO)


def write_members(
    target: str | Path | IO[bytes], records: Iterable[dict[str, Any]], *, party: str = "",
    on: date | None = None, progress: Callable[[int], None] | None = None,
    mark: Stamp | None = None,
) -> int:
    """Write 附件4 from records in the official layout, row by row; return the row count."""
    return write_table(target, MEMBER_LAYOUT, (member_cells(r) for r in records),
                       party=party, on=on, progress=progress, mark=mark)


_ID_LIKE = re.compile(r"\d{17}[\dXx]|\d{15}")
_PHONE_LIKE = re.compile(r"1[3-9]\d{9}")


def mask_numbers(text: str) -> str:
    """Mask anything in text that looks like an ID number or a mobile number."""
    text = _ID_LIKE.sub(lambda m: idcard.mask_id(m[0]), text)
    return _PHONE_LIKE.sub(lambda m: phones.mask_phone(m[0]), text)
