"""Shared plumbing of the 附件4 benchmarks: a synthetic roster in SQLite, and running each
measurement in its own subprocess so peak memory (ru_maxrss) is that run's alone."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402

from service import create_app  # noqa: E402
from service.extensions import db  # noqa: E402
from service.records.synthetic import synthetic_roster  # noqa: E402
from service.roster.demo import seed_members, seed_orgs  # noqa: E402

TODAY = date(2024, 6, 1)
DATA_KEY = "YmVuY2gtb25seS1kYXRhLWtleS0zMi1ieXRlcy1sbyE="  # bench databases only


def make_app(workdir: Path) -> Flask:
    """Return an app on the bench's SQLite file in workdir."""
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/bench.db",
                       "SECRET_KEY": "bench", "DATA_KEY": DATA_KEY},
                      instance_path=str(workdir / "instance"))


def load_roster(members: int, seed: int, with_members: bool = True) -> None:
    """Create the schema and the synthetic org tree, and its members, via the demo seeding."""
    db.drop_all()
    db.create_all()
    roster = synthetic_roster(members, seed, TODAY)
    org_ids = seed_orgs(roster)
    if with_members:
        for _ in seed_members(roster, org_ids):
            pass
    db.session.commit()


def synthetic_records(members: int, seed: int) -> Any:
    """Yield the synthetic members as records with their branch name."""
    for org, record in synthetic_roster(members, seed, TODAY).records():
        yield {**record, "branch": org.name}


def measure(fn: Callable[[], Any]) -> None:
    """Run fn in this (child) process and print its time and peak RSS as JSON."""
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mib": peak_rss_kib() / 1024, "result": result}))


def peak_rss_kib() -> int:
    """Return this process's peak resident memory in KiB.

    VmHWM belongs to the address space, which exec replaces, so a child's figure is its own;
    ru_maxrss would carry over the parent's peak at fork time on Linux.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_child(script: Path, *args: str) -> dict[str, Any]:
    """Run script --child … in a fresh interpreter and return what it measured."""
    out = subprocess.run([sys.executable, str(script), *args], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])
