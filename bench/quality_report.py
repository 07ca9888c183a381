"""Time the 回头看 report over a large synthetic roster and measure its peak memory.

    .venv/bin/python bench/quality_report.py [--members 100000] [--db URL]

Loads a deterministic synthetic roster (service.records.synthetic) into a fresh database, then
times, in the same run: a baseline pass that only streams and decrypts every member, the full
report, and its export. It prints the report/baseline ratio (what the checks cost on top of
reading the data) and the tracemalloc peak of the report at two sizes, so one can see whether
memory grows with the members (it should not: they are streamed) or only with the findings.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import tracemalloc
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from service import create_app  # noqa: E402
from service.extensions import db  # noqa: E402
from service.keys import new_key  # noqa: E402
from service.models import Member, Org  # noqa: E402
from service.quality.export import write_xlsx  # noqa: E402
from service.quality.report import build_report  # noqa: E402
from service.roster.members import member_record  # noqa: E402
from testkit.roster import TODAY, load  # noqa: E402


def baseline() -> int:
    """Stream and decrypt every member, as the report does, without checking anything."""
    orgs = list(db.session.scalars(select(Org)))  # noqa: F841  keep orgs in the identity map
    n = 0
    for member in db.session.scalars(select(Member).execution_options(yield_per=1000)):
        member_record(member)
        n += 1
    return n


def timed(label: str, fn: Any) -> tuple[float, Any]:
    db.session.expunge_all()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"{label:<34}{seconds:8.2f} s")
    return seconds, result


def peak_mib(fn: Any) -> float:
    db.session.expunge_all()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        uri = args.db or f"sqlite:///{tmp}/bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench",
                          "DATA_KEY": new_key()}, instance_path=f"{tmp}/instance")
        with app.app_context():
            db.drop_all()
            db.create_all()
            load_s, _ = timed(f"load {args.members} members", lambda: load(args.members, args.seed))
            base_s, n = timed("baseline: stream + decrypt", baseline)
            report_s, report = timed("report (validate, rules, dups)", lambda: build_report(
                None, TODAY))
            export_s, _ = timed("export xlsx", partial(write_xlsx, report, io.BytesIO()))
            print(f"members {n}, orgs {len(report.orgs)}, findings {len(report.problems)} "
                  f"({report.total.errors} errors, {report.total.warnings} warnings), "
                  f"completeness {report.total.completeness}%")
            print(f"report / baseline ratio            {report_s / base_s:8.2f}")
            print(f"members per second (report)        {n / report_s:8.0f}")
            del report
            full = peak_mib(lambda: build_report(None, TODAY))
            first = db.session.scalars(select(Org).where(Org.parent_id.is_(None))
                                       .order_by(Org.id)).first()
            part = peak_mib(lambda: build_report(first, TODAY))
            scoped = build_report(first, TODAY).total.members
            print(f"peak traced memory, all members    {full:8.1f} MiB")
            print(f"peak traced memory, {scoped} members {part:8.1f} MiB (one committee)")
        if args.db:
            with app.app_context():
                db.drop_all()


if __name__ == "__main__":
    main()
