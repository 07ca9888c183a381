"""Whether each mapped column of a roster holds what its header says: a sheet whose 姓名 column
is full of addresses (headers swapped or shifted) is refused, not imported with warnings."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from service.records import idcard
from service.records.xlsx_read import SheetFormatError, SheetHeader, Uncomputed
from service.records.xlsx_values import CellError, cell_text, is_blank, parse_date

_MIN_VALUES = 3  # a column is judged on at least this many filled cells
_PLACE = set("省市县区镇乡村路街巷号弄楼室栋组")
_SHOWN = ("name", "address")
_BARE_NAME = re.compile(r"[\u3400-\u9fff·•]{2,4}")


def _name(text: str) -> bool:
    bare = re.sub(r"\s", "", text)
    return sum(c.isdigit() for c in bare) < 5 and len(bare) <= 20 and \
        sum(c in _PLACE for c in bare) < 2


def _address(text: str) -> bool:
    bare = re.sub(r"\s", "", text)
    return not (_BARE_NAME.fullmatch(bare) and not any(c in _PLACE for c in bare))


def _id_number(text: str) -> bool:
    return re.fullmatch(r"\d{15}|\d{17}[\dX]", idcard.normalize_id(text) or "") is not None


def _phone(text: str) -> bool:
    return sum(c.isdigit() for c in text) >= 7


def _date(value: Any) -> bool:
    try:
        parse_date(value)
    except CellError:
        return False
    return True


# key -> (what the column must hold, in Chinese; test on the cell text, or on the raw value)
CHECKS: dict[str, tuple[str, Callable[[str], bool], bool]] = {
    "name": ("姓名", _name, False),
    "address": ("住址", _address, False),
    "id_number": ("公民身份证号", _id_number, False),
    "mobile": ("电话号码", _phone, False),
    "phone": ("电话号码", _phone, False),
    "birth_date": ("日期", _date, True),
    "joined_on": ("日期", _date, True),
}


@dataclass
class ColumnSense:
    """Counts, per checked column, of filled cells and of cells unlike what the column holds."""

    header: SheetHeader
    filled: dict[str, int] = field(default_factory=dict)
    odd: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    def see(self, row: int, values: dict[str, Any]) -> None:
        """Count one data row's cells."""
        for key, (_, looks_right, raw) in CHECKS.items():
            value = values.get(key)
            if key not in self.header.columns or is_blank(value) or isinstance(value, Uncomputed):
                continue
            self.filled[key] = self.filled.get(key, 0) + 1
            text = cell_text(value)
            if not looks_right(value if raw else text):  # type: ignore[arg-type]
                self.odd.setdefault(key, []).append((row, text))

    def check(self) -> None:
        """Refuse the sheet when most filled cells of a column are not what it must hold."""
        bad = [k for k, odd in self.odd.items()
               if len(odd) >= _MIN_VALUES and 2 * len(odd) > self.filled[k]]
        if not bad:
            return
        parts = []
        for key in bad:
            row, text = self.odd[key][0]
            label = self.header.labels.get(key, key)
            # Numbers could be someone's ID or phone: the example shows only free text.
            example = f"“{re.sub(r'[0-9]{6,}', '…', text)[:20]}”" if key in _SHOWN else ""
            parts.append(f"{self.header.letter(key)}列（{label}）有 {len(self.odd[key])}/"
                         f"{self.filled[key]} 个单元格不像{CHECKS[key][0]}（如第{row}行{example}）")
        raise SheetFormatError(f"工作表“{self.header.sheet}”的表头与内容对不上：" + "；".join(parts)
                               + "。表头可能错位或互换，请核对后重新导入，未导入任何数据")
