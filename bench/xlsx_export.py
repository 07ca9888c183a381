"""Time the 附件4 export of a large roster against bare openpyxl writing the same cells.

    .venv/bin/python bench/xlsx_export.py [--members 100000] [--seed 1]

Loads a synthetic roster into a temporary SQLite database, then runs, each in its own process
(so each peak RSS is that run's alone): the baseline, a bare openpyxl write-only workbook fed
the very cells of the export from a list in memory; and the real export, members streamed from
SQLite (decrypting ID numbers and phones), formatted and written in the official layout. Prints
both times, the export/baseline ratio and the export's peak memory.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from xlsx_bench_common import TODAY, load_roster, make_app, measure, run_child  # noqa: E402

from service.records.member_sheet import member_cells, write_members  # noqa: E402
from service.records.xlsx_layout import MEMBER_LAYOUT  # noqa: E402
from service.roster import exporting  # noqa: E402


def baseline(rows: list[list[object]], out: Path) -> int:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet")
    ws.append([MEMBER_LAYOUT.title])
    ws.append(["基层党委："])
    ws.append(["汇总日期："])
    ws.append([c.group or c.header for c in MEMBER_LAYOUT.columns])
    ws.append([c.header if c.group else None for c in MEMBER_LAYOUT.columns])
    for n, row in enumerate(rows, start=1):
        ws.append([n, *row])
    wb.save(out)
    return len(rows)


def export(workdir: Path, out: Path) -> int:
    app = make_app(workdir)
    with app.app_context():
        return write_members(out, exporting.member_records(None),
                             party=exporting.committee_name(None), on=TODAY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", choices=("baseline", "export"))
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    if args.child == "baseline":
        with open(args.workdir / "cells.pickle", "rb") as f:
            rows = pickle.load(f)  # not timed: the baseline is the writing alone
        gc.freeze()  # the held cells must not make the collector slow the baseline down
        measure(lambda: baseline(rows, args.workdir / "base.xlsx"))
        return
    if args.child == "export":
        measure(lambda: export(args.workdir, args.workdir / "export.xlsx"))
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        app = make_app(workdir)
        with app.app_context():
            load_roster(args.members, args.seed)
            with open(workdir / "cells.pickle", "wb") as f:
                pickle.dump([member_cells(r) for r in exporting.member_records(None)], f)
        me = Path(__file__)
        common = ["--workdir", str(workdir)]
        base = run_child(me, "--child", "baseline", *common)
        ours = run_child(me, "--child", "export", *common)
        size = (workdir / "export.xlsx").stat().st_size / 2**20
        print(f"members                          {ours['result']:>10}")
        print(f"baseline: bare openpyxl write_only {base['seconds']:8.2f} s  "
              f"(peak {base['peak_mib']:.0f} MiB, cells held in memory)")
        print(f"export: SQLite → 附件4            {ours['seconds']:8.2f} s  ({size:.1f} MiB file)")
        print(f"export / baseline ratio          {ours['seconds'] / base['seconds']:10.2f}")
        print(f"export peak memory (RSS)         {ours['peak_mib']:10.1f} MiB")


if __name__ == "__main__":
    main()
