"""A 1,000-member campaign sent by `flask outbox drain` workers SIGKILLed at random moments.

    .venv/bin/python bench/outbox_crash.py [--members 1000] [--kills 8] [--workers 3]
        [--fake query|plain] [--latency-ms 50] [--concurrency 2] [--kill-within 0.03]
        [--db URL] [--seed N]

The crash drill at full size (tests/test_outbox_crash.py runs the same machinery smaller):
three workers (two sends in flight each) drain the campaign through the loopback Aliyun fake
while one of them is killed with SIGKILL at a random moment while it holds a lease, and a new
one started in its place, ``--kills`` times. Then it prints: messages lost, rows the provider
never saw, duplicate sends against the rows held by killed workers (a row may go out again
only if a killed worker held it), rows sent more often than that allows, rows without exactly
one "sent" evidence entry, duplicates against kills x concurrency (only calls under way at a
kill may go again), rows reconciled by QuerySendDetails instead of being re-sent (with
``--fake query``; ``--fake plain`` answers no queries, so every re-claimed row is re-sent),
and whether the evidence chain verifies. Exit status 1 if any of the checks fails.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from service import create_app  # noqa: E402
from service.campaign.campaigns import start_campaign  # noqa: E402
from service.extensions import db  # noqa: E402
from service.keys import new_key  # noqa: E402
from service.models import Org, OutboxMessage  # noqa: E402
from testkit.fakes.aliyun import FakeAliyunSms  # noqa: E402
from testkit.fakes.aliyun_query import FakeAliyunSmsWithQuery  # noqa: E402
from testkit.fakes.base import Fault  # noqa: E402
from testkit.outbox_crash import CRASH_SETTINGS, outcome, run_with_kills, worker_env  # noqa: E402
from testkit.roster import load  # noqa: E402
from testkit.sms import sms_config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--fake", choices=("query", "plain"), default="query")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=2, help="sends in flight per worker")
    parser.add_argument("--deadline", type=float, default=600.0)
    parser.add_argument("--kill-within", type=float, default=0.03,
                        help="seconds after a worker is seen holding rows that the kill lands")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    fake = (FakeAliyunSmsWithQuery() if args.fake == "query" else FakeAliyunSms()).start()
    fake.always = Fault(delay=args.latency_ms / 1000, proceed=True)
    # A killed worker leaves its request unanswered: the fake's broken pipe is expected.
    fake.server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        app = create_app({"SQLALCHEMY_DATABASE_URI": args.db or f"sqlite:///{tmp}/crash.db",
                          "SECRET_KEY": "bench", "DATA_KEY": new_key(),
                          "EVIDENCE_DIR": f"{tmp}/evidence",
                          **sms_config(fake.url, None, "sms_aliyun", **CRASH_SETTINGS)},
                         instance_path=f"{tmp}/instance")
        with app.app_context():
            db.drop_all()
            db.create_all()
            load(args.members, 1)
            deadline = datetime.now().date() + timedelta(days=30)
            for root in db.session.scalars(select(Org).where(Org.parent_id.is_(None))).all():
                start_campaign(root, deadline, actor="bench")  # one campaign per committee
            db.session.commit()
            total = db.session.scalar(select(func.count()).select_from(OutboxMessage))
            db.session.remove()
            print(f"{total} cards queued; {args.workers} workers, {args.kills} SIGKILLs, "
                  f"fake '{args.fake}' answering in {args.latency_ms:g} ms, seed {seed}")
            env = worker_env(app, work / "evidence", args.concurrency)
            run = run_with_kills(env, work, random.Random(seed), kills=args.kills,
                                 workers=args.workers, batch=args.batch, deadline=args.deadline,
                                 kill_within=args.kill_within)
            result = outcome(fake.requests, run.in_flight)
            db.session.remove()
    fake.stop()
    print(f"ran {run.seconds:.1f} s, kills {run.kills}, workers failing: {run.errors or 'none'}")
    print(f"messages                {result.rows}")
    print(f"lost                    {result.lost}")
    print(f"never reached provider  {result.never_reached}")
    print(f"held at a kill          {result.in_flight} rows")
    print(f"duplicate sends         {result.duplicates} (allowed: at most one per held row)")
    bound = run.kills * args.concurrency
    print(f"duplicates vs kills x concurrency  {result.duplicates} <= {bound}: "
          f"{'yes' if result.duplicates <= bound else 'NO'}")
    print(f"beyond that bound       {len(result.beyond_in_flight)} {result.beyond_in_flight[:5]}")
    print(f"reconciled by lookup    {result.reconciled}")
    print(f"rows without exactly one 'sent' entry  {result.bad_evidence}")
    print(f"evidence chain          {'ok' if result.chain_ok else 'BROKEN'}")
    ok = (not run.errors and run.kills == args.kills and result.lost == 0
          and result.never_reached == 0 and not result.beyond_in_flight
          and result.duplicates <= bound
          and result.bad_evidence == 0 and result.chain_ok)
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
