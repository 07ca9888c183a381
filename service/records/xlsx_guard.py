"""A workbook looked over before openpyxl parses it: size, unpacked size, rows and columns
within limits, no macros, no DTDs or entities; the merged cells and uncomputed formulas found
in each sheet's XML, for the reader to refuse or report."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError
from zlib import error as ZlibError

from defusedxml import DefusedXmlException
from openpyxl.utils.cell import range_boundaries

from service.records.xlsx_read import SheetFormatError

_MB = 1024 * 1024
_HEAD = 64 * 1024  # a DTD can only come before the root element
_CHUNK = 4 * _MB
_MAX_CARRY = 16 * _MB
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s[^>]*ref="([^"]+)"')
_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')
# A formula cell with no <v> (or an empty one): Excel always stores the result, so a file
# written by a script that never calculated would otherwise read as blank cells.
_UNCOMPUTED = re.compile(
    rb"<(?:\w+:)?c\s([^>]*[^/>])?>\s*<(?:\w+:)?f(?:\s[^>]*)?(?:/>|>[^<]*</(?:\w+:)?f>)\s*"
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>")
_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_MACRO = (b"macroEnabled", b"vbaProject")


@dataclass(frozen=True)
class Limits:
    """How big an imported workbook may be (the IMPORT_* settings)."""

    max_bytes: int = 30 * _MB
    max_uncompressed: int = 300 * _MB
    max_rows: int = 200_000
    max_columns: int = 200

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        """Return the limits an app is configured with."""
        return cls(int(config["ADMIN_IMPORT_MAX_BYTES"]),
                   int(config["IMPORT_MAX_UNCOMPRESSED_BYTES"]),
                   int(config["IMPORT_MAX_ROWS"]), int(config["IMPORT_MAX_COLUMNS"]))


@dataclass
class SheetFacts:
    """What the XML of one worksheet holds that openpyxl's read-only mode does not say."""

    merges: list[tuple[str, int, int]] = field(default_factory=list)  # (ref, first, last row)
    uncomputed: dict[int, set[str]] = field(default_factory=dict)  # row -> column letters

    def merge_at(self, row: int, after: int) -> str | None:
        """Return a merged range covering row that lies below the header (row ``after``)."""
        return next((ref for ref, first, last in self.merges
                     if first <= row <= last and last > after), None)


def inspect_workbook(source: str | Path | IO[bytes], limits: Limits) -> dict[str, SheetFacts]:
    """Check a workbook against limits and for hostile content; return facts by sheet part
    ("xl/worksheets/sheet1.xml"). Raise SheetFormatError in Chinese; a non-zip file is left
    to the caller's "unreadable" message (zipfile.BadZipFile)."""
    size = _size(source)
    if size > limits.max_bytes:
        raise SheetFormatError(f"文件太大（{_mb(size)}），不能超过 {_mb(limits.max_bytes)}")
    with zipfile.ZipFile(source) as archive:
        infos = archive.infolist()
        unpacked = sum(i.file_size for i in infos)
        if unpacked > limits.max_uncompressed:
            raise SheetFormatError(
                f"文件解压后有 {_mb(unpacked)}，超过上限 {_mb(limits.max_uncompressed)}"
                "（文件异常，或表格中有大量空行、空列）；请删去多余内容后另存为 .xlsx 再导入")
        names = {i.filename for i in infos}
        types = archive.read("[Content_Types].xml")[:_HEAD] if "[Content_Types].xml" in names \
            else b""
        if any(m in types for m in _MACRO) or any(n.endswith("vbaProject.bin") for n in names):
            raise SheetFormatError("文件是启用宏的工作簿（.xlsm），出于安全原因不能导入；"
                                   "请在 Excel 中“另存为”Excel 工作簿（*.xlsx）后再导入")
        facts: dict[str, SheetFacts] = {}
        with unreadable_xml("文件"):
            for info in infos:
                if info.filename.endswith((".xml", ".rels", ".vml")):
                    _no_dtd(archive, info)
            for info in infos:
                if info.filename.startswith("xl/worksheets/") and \
                        info.filename.endswith(".xml"):
                    facts[info.filename] = _sheet(archive, info, limits)
    if not isinstance(source, (str, Path)):
        source.seek(0)
    return facts


def _size(source: str | Path | IO[bytes]) -> int:
    if isinstance(source, (str, Path)):
        return Path(source).stat().st_size
    end = source.seek(0, 2)
    source.seek(0)
    return end


def _mb(n: int) -> str:
    return f"{n / _MB:.1f}MB" if n < 10 * _MB else f"{n // _MB}MB"


def _no_dtd(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    with archive.open(info) as part:
        head = part.read(_HEAD)
    if _DTD.search(head):
        raise SheetFormatError(f"文件中的“{info.filename}”含有 DTD 或实体声明（XML 实体），Excel "
                               "保存的文件不会有这些内容，出于安全原因拒绝导入；请在 Excel 中另存为"
                               " .xlsx 再导入")


def _sheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> SheetFacts:
    facts = SheetFacts()
    rows = 0
    carry = b""
    first = True
    with archive.open(info) as part:
        while chunk := part.read(_CHUNK):
            buf = carry + chunk
            if first:
                _dimension(buf[:_HEAD], limits)
                first = False
            cut = buf.rfind(b"</row>")
            cut = cut + 6 if cut >= 0 else buf.rfind(b">") + 1
            if cut <= 0 and len(buf) < _MAX_CARRY:
                carry = buf
                continue
            body, carry = (buf[:cut], buf[cut:]) if cut > 0 else (buf, b"")
            rows += _scan(body, facts)
            if rows > limits.max_rows:
                raise SheetFormatError(f"工作表超过 {limits.max_rows} 行，超过导入上限；"
                                       "请分成几个文件导入")
        rows += _scan(carry, facts)
    if rows > limits.max_rows:
        raise SheetFormatError(f"工作表超过 {limits.max_rows} 行，超过导入上限；请分成几个文件导入")
    return facts


def _dimension(head: bytes, limits: Limits) -> None:
    m = _DIMENSION.search(head)
    if m is None:
        return
    try:
        _, _, max_col, max_row = range_boundaries(m[1].decode("ascii", "replace"))
    except (ValueError, TypeError):
        return  # a broken dimension says nothing; the streamed row count still holds
    if max_row is not None and max_row > limits.max_rows:
        raise SheetFormatError(f"工作表有 {max_row} 行，超过导入上限 {limits.max_rows} 行；"
                               "请删去多余的空行，或分成几个文件导入")
    if max_col is not None and max_col > limits.max_columns:
        raise SheetFormatError(f"工作表有 {max_col} 列，超过导入上限 {limits.max_columns} 列；"
                               "请删去多余的空列后再导入")


def _scan(body: bytes, facts: SheetFacts) -> int:
    for m in _MERGE.finditer(body):
        ref = m[1].decode("ascii")
        _, first, _, last = range_boundaries(ref)
        facts.merges.append((ref, first or 0, last or 0))
    if b"<f" in body or b":f" in body:
        for m in _UNCOMPUTED.finditer(body):
            where = _REF.search(m[1] or b"")
            if where is None:
                raise SheetFormatError("工作表中有公式没有保存计算结果，请在 Excel 中打开、"
                                       "保存后再导入")
            facts.uncomputed.setdefault(int(where[2]), set()).add(where[1].decode("ascii"))
    return len(_ROW.findall(body))


def sheet_part(ws: Any) -> str:
    """Return the zip path of an openpyxl read-only worksheet, the key of its facts."""
    return str(getattr(ws, "_worksheet_path", "")).lstrip("/")


@contextmanager
def unreadable_xml(what: str) -> Iterator[None]:
    """Turn broken or hostile XML met while reading into a Chinese SheetFormatError."""
    try:
        yield
    except DefusedXmlException:
        raise SheetFormatError(f"{what}中含有 DTD 或实体声明（XML 实体），出于安全原因拒绝导入；"
                               "请在 Excel 中另存为 .xlsx 再导入") from None
    except (ParseError, EOFError, ZlibError, zipfile.BadZipFile) as e:
        where = f"（XML 第{e.position[0]}行出错）" if isinstance(e, ParseError) else ""
        raise SheetFormatError(f"{what}内容不完整或已损坏{where}，请在 Excel 或 WPS 中打开后"
                               "另存为 .xlsx 再导入") from None
