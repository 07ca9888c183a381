"""Time the 附件4 import of a large roster against bare openpyxl reading the same cells.

    .venv/bin/python bench/xlsx_import.py [--members 100000] [--seed 1]

Writes a synthetic roster as 附件4 and loads its org tree (no members) into a temporary SQLite
database. Then runs, each in its own process (so each peak RSS is that run's alone): the
baseline, a bare openpyxl read-only pass over every cell's value; the parse, which reads and
validates every row into canonical records without the database; and the full import (org
placement, duplicate checks, members created with their version entries, one transaction).
Prints the times, the ratios to the baseline and the peak memory of each.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from xlsx_bench_common import (  # noqa: E402
    TODAY,
    load_roster,
    make_app,
    measure,
    run_child,
    synthetic_records,
)

from service.campaign import member_import as importing  # noqa: E402
from service.extensions import db  # noqa: E402
from service.records.member_sheet import read_members, write_members  # noqa: E402


def baseline(path: Path) -> int:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    n = 0
    for row in wb.worksheets[0].iter_rows(values_only=True):
        for value in row:
            n += value is not None
    wb.close()
    return n


def parse(path: Path) -> int:
    sheet = read_members(path, TODAY)
    return sum(1 for row in sheet.rows if row.ok)


def full_import(workdir: Path, path: Path) -> dict[str, int]:
    app = make_app(workdir)
    with app.app_context():
        sheet = read_members(path, TODAY)
        result = importing.ImportResult()
        pending = importing.check_members(sheet.rows, sheet.header, result)
        importing.write_members(pending, path.name, result)
        db.session.commit()
        return {"created": result.created, "error_rows": result.error_rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", choices=("baseline", "parse", "import"))
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    if args.child:
        path = args.workdir / "roster.xlsx"
        measure({"baseline": lambda: baseline(path), "parse": lambda: parse(path),
                 "import": lambda: full_import(args.workdir, path)}[args.child])
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        write_members(workdir / "roster.xlsx", synthetic_records(args.members, args.seed),
                      party="", on=TODAY)
        app = make_app(workdir)
        with app.app_context():
            load_roster(args.members, args.seed, with_members=False)
        shutil.copy(workdir / "bench.db", workdir / "orgs-only.db")
        me, common = Path(__file__), ["--workdir", str(workdir)]
        base = run_child(me, "--child", "baseline", *common)
        parsed = run_child(me, "--child", "parse", *common)
        full = run_child(me, "--child", "import", *common)
        print(f"members                               {args.members:>10}")
        for label, m in (("baseline: openpyxl read_only values", base),
                         ("parse + validate (no database)", parsed),
                         ("full import into SQLite", full)):
            print(f"{label:<38}{m['seconds']:8.2f} s  ratio {m['seconds'] / base['seconds']:5.2f}"
                  f"  peak {m['peak_mib']:6.1f} MiB")
        print(f"import result                          {full['result']}")


if __name__ == "__main__":
    main()
