"""The outbox crash drill: `flask outbox drain` workers SIGKILLed while they hold leases.

Shared by tests/test_outbox_crash.py (100 cards) and bench/outbox_crash.py (1,000 and more):
start workers, kill one at a random moment while it holds rows and start its successor, note
the rows each victim held (only those may reach the provider twice), then count what the
provider received against what the outbox and the evidence ledger say.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from service.evidence import ledger
from service.evidence.verification import verify_chain
from service.extensions import db
from service.models import EvidenceEntry, OutboxMessage
from service.models.outbox import SENDING, SENT

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 3
DEADLINE = 120.0  # seconds; generous: workers start slowly on a loaded machine, and a run
# normally takes a fraction of it (the drill stops as soon as everything is sent)
# Short leases and backoff, so rows a killed worker held are taken over within the run.
CRASH_SETTINGS = {"NOTIFY_LEASE_SECONDS": 1.5, "NOTIFY_BACKOFF_SECONDS": 0.2}


@dataclass
class Run:
    """What happened: kills made, rows each victim held at its death, the workers' exits."""

    kills: int = 0
    in_flight: Counter[int] = field(default_factory=Counter)
    errors: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class Outcome:
    """What the drill checks: nothing lost, duplicates only of held rows, one sent entry each."""

    rows: int
    lost: int  # rows not sent at the end
    never_reached: int  # rows the provider never saw
    duplicates: int  # extra sends over all rows
    in_flight: int  # rows held by workers at their kills
    beyond_in_flight: list[tuple[int, int, int]]  # (row, sends, times held at a kill): must be []
    bad_evidence: int  # rows without exactly one "sent" entry
    reconciled: int  # rows found at the provider after a kill instead of being sent again
    chain_ok: bool


def worker_env(app: Flask, evidence_dir: Path, concurrency: int = 2) -> dict[str, str]:
    """Return the environment a `flask outbox drain` child needs to use ``app``'s settings."""
    keys = ["SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "DATA_KEY", "NOTIFY_CHANNELS",
            "NOTIFY_HTTP_TIMEOUT", "NOTIFY_LEASE_SECONDS", "NOTIFY_BACKOFF_SECONDS",
            "NOTIFY_QUIET_HOURS"]
    keys += [k for k in app.config if k.startswith("ALIYUN_")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update({f"FLASK_{k}": str(app.config[k]) if isinstance(app.config[k], str)
                else json.dumps(app.config[k]) for k in keys})
    env["FLASK_EVIDENCE_DIR"] = str(evidence_dir)
    env["FLASK_NOTIFY_SEND_CONCURRENCY"] = str(concurrency)
    env["PYTHONPATH"] = str(ROOT)
    return env


def spawn(env: dict[str, str], worker_id: str, workdir: Path,
          batch: int = 4) -> subprocess.Popen[bytes]:
    """Start one `flask outbox drain` worker."""
    with open(workdir / f"{worker_id}.err", "wb") as err:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "service", "outbox", "drain",
             "--worker-id", worker_id, "--batch", str(batch), "--idle-sleep", "0.05"],
            env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=err)


def held_by(worker_id: str) -> set[int]:
    """Return the rows leased to ``worker_id`` (any of its claims)."""
    db.session.rollback()
    return set(db.session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.state == SENDING, OutboxMessage.claimed_by.startswith(f"{worker_id}:"))))


def unsent() -> int:
    db.session.rollback()
    return len(db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.state != SENT))
               .all())


def run_with_kills(env: dict[str, str], workdir: Path, rng: random.Random, *, kills: int,
                   workers: int = WORKERS, batch: int = 4, deadline: float = DEADLINE,
                   kill_within: float = 0.03) -> Run:
    """Drain with ``workers`` processes, SIGKILLing one ``kills`` times while it holds rows."""
    run, began = Run(), time.monotonic()
    procs = {f"w{i}-0": spawn(env, f"w{i}-0", workdir, batch) for i in range(workers)}
    try:
        while unsent() and time.monotonic() - began < deadline:
            if run.kills >= kills:
                time.sleep(0.1)
                continue
            # A worker holding rows now: waiting for one chosen blindly (a successor still
            # starting) could let the others send everything before the kills are made.
            victim = _pick_holder(sorted(procs), rng, began + deadline)
            if victim is None:
                break
            time.sleep(rng.uniform(0.0, kill_within))  # somewhere in the claim/send/record cycle
            procs[victim].send_signal(signal.SIGKILL)
            procs[victim].wait()
            run.in_flight.update(held_by(victim))
            run.kills += 1
            slot, generation = victim.split("-")
            successor = f"{slot}-{int(generation) + 1}"
            procs[successor] = spawn(env, successor, workdir, batch)
            del procs[victim]
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            proc.wait(timeout=30)
    run.seconds = time.monotonic() - began
    # A successor still starting up when the run ends has no SIGTERM handler yet and dies
    # of the signal having done nothing (-SIGTERM, silent): that is not a failure.
    run.errors = {w: (workdir / f"{w}.err").read_text() for w, p in procs.items()
                  if p.returncode != 0 and not (p.returncode == -signal.SIGTERM
                                                and not (workdir / f"{w}.err").read_text())}
    return run


def _pick_holder(workers: list[str], rng: random.Random, give_up: float) -> str | None:
    """Return one of ``workers`` that holds a lease now (None once all is sent or time is up)."""
    while time.monotonic() < give_up and unsent():
        holding = [w for w in workers if held_by(w)]
        if holding:
            return rng.choice(holding)
        time.sleep(0.005)
    return None


def outcome(sent: list[dict[str, Any]], in_flight: Counter[int]) -> Outcome:
    """Count what the provider received and what the outbox and the ledger say."""
    db.session.rollback()
    rows = db.session.scalars(select(OutboxMessage)).all()
    per_row = Counter(int(r["out_id"]) for r in sent)
    entries = db.session.scalars(
        select(EvidenceEntry).where(EvidenceEntry.kind == ledger.CARD_SENT)).all()
    evidenced = Counter(json.loads(e.body)["data"]["outbox"] for e in entries)
    reconciled = sum(1 for e in entries if json.loads(e.body)["data"].get("reconciled"))
    return Outcome(
        rows=len(rows), lost=sum(1 for r in rows if r.state != SENT),
        never_reached=sum(1 for r in rows if r.id not in per_row),
        duplicates=sum(per_row.values()) - len(per_row), in_flight=len(in_flight),
        beyond_in_flight=[(i, n, in_flight[i]) for i, n in per_row.items()
                          if n > 1 + in_flight[i]],
        bad_evidence=sum(1 for r in rows if evidenced[r.id] != 1) + len(
            set(evidenced) - {r.id for r in rows}),
        reconciled=reconciled, chain_ok=verify_chain().ok)
