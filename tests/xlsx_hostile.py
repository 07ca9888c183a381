"""Hostile and broken workbooks built from a valid roster at test time (no binary fixtures):
zip bombs, DTDs and entities, truncated sheet XML, macro content types, lying dimensions,
merged data rows, formulas without a stored result, swapped headers."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from openpyxl import load_workbook

from tests.xlsx_helpers import LABELS, person, write_member_roster

SHEET = "xl/worksheets/sheet1.xml"
_NAMES = ("王建国", "李秀英", "张伟", "刘芳")
Edit = Callable[[bytes], bytes]


def roster(path: Path, n: int = 3) -> Path:
    """Write a valid 附件4 of n people."""
    return write_member_roster(path, [person(i) for i in range(1, n + 1)])


def repack(path: Path, edits: dict[str, Edit], extra: dict[str, bytes] | None = None) -> Path:
    """Rewrite the workbook at path in place, passing the named parts through their edit."""
    with zipfile.ZipFile(path) as src:
        parts = [(i.filename, src.read(i)) for i in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts:
            out.writestr(name, edits.get(name, lambda b: b)(data))
        for name, data in (extra or {}).items():
            out.writestr(name, data)
    return path


def bomb(path: Path, unpacked_mb: int) -> Path:
    """Make the sheet XML unpack to about unpacked_mb megabytes of padding (compresses ~1000:1)."""
    roster(path)
    with zipfile.ZipFile(path) as src:
        parts = [(i.filename, src.read(i)) for i in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for name, data in parts:
            if name != SHEET:
                out.writestr(name, data)
                continue
            head, tail = data.split(b"</sheetData>", 1)
            with out.open(name, "w", force_zip64=True) as sheet:
                sheet.write(head)
                pad = b" " * (1024 * 1024)
                for _ in range(unpacked_mb):
                    sheet.write(pad)
                sheet.write(b"</sheetData>" + tail)
    return path


def with_dtd(data: bytes) -> bytes:
    """Put a billion-laughs style DTD before the root element."""
    dtd = (b'<!DOCTYPE worksheet [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>')
    return re.sub(rb"^(<\?xml[^>]*\?>)?", lambda m: (m[0] or b"") + dtd, data, count=1)


def truncated(data: bytes) -> bytes:
    """Cut the sheet XML in the middle of its data rows."""
    return data[:data.index(b'<row r="7"') + 40]


def macro_types(data: bytes) -> bytes:
    """Declare the workbook part as a macro-enabled one (.xlsm)."""
    return data.replace(b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")


def dimension(ref: str) -> Edit:
    """Claim another sheet size in <dimension>."""
    return lambda data: re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(),
                               data, count=1)


def merge(path: Path, ref: str) -> Path:
    """Merge a range of the workbook's first sheet (openpyxl keeps the first cell's value)."""
    wb = load_workbook(path)
    wb.active.merge_cells(ref)
    wb.save(path)
    return path


def formula(path: Path, cells: dict[str, str]) -> Path:
    """Put formulas in cells; openpyxl saves them without a calculated result."""
    wb = load_workbook(path)
    for ref, text in cells.items():
        wb.active[ref] = text
    wb.save(path)
    return path


def swapped(path: Path, first: str, second: str, n: int = 3) -> Path:
    """Write a roster whose two columns' contents sit under each other's header."""
    rows = []
    for i in range(1, n + 1):
        row = dict(person(i), 姓名=_NAMES[i % len(_NAMES)])
        row[first], row[second] = row[second], row[first]
        rows.append(row)
    assert first in LABELS and second in LABELS
    return write_member_roster(path, rows)
