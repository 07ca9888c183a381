"""Send a campaign's cards through the outbox to a loopback Aliyun fake, against a bare loop.

    .venv/bin/python bench/outbox_send.py [--members 10000] [--db URL] [--batch N]
        [--rounds 5] [--concurrency N] [--latency-ms 0] [--in-process-fake]

Seeds a synthetic roster and starts a campaign (one queued card per member; not timed). The
fake runs in its own process (a real provider is not in ours; ``--in-process-fake`` keeps it
in this one, where it competes with both loops for the GIL). The cards are then sent in
``rounds``; each round times, against the same fake, for each concurrency (1 and the default
``NOTIFY_SEND_CONCURRENCY``): a bare loop that signs and POSTs one SendSms per message over a
kept-alive http.client connection (no database), then ``drain`` sending the same number of
cards (claim, compose, sign, POST, record sent + evidence). Alternating the two in every round
keeps a busy machine's noise out of the ratio. Prints rates, ratios (bare time / drain time,
so 1.0 means the outbox costs nothing) and the outbox's own cost per message; then checks
that every card was sent once with one "sent" evidence entry and that the chain verifies.
With ``--latency-ms`` the fake answers after that delay, as real providers do (50-200 ms).
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, update  # noqa: E402

from service import create_app  # noqa: E402
from service.campaign.campaigns import start_campaign  # noqa: E402
from service.clock import now_utc  # noqa: E402
from service.evidence import ledger  # noqa: E402
from service.evidence.verification import verify_chain  # noqa: E402
from service.extensions import db  # noqa: E402
from service.keys import new_key  # noqa: E402
from service.models import EvidenceEntry, Org, OutboxMessage  # noqa: E402
from service.models.outbox import SENT  # noqa: E402
from service.notify.aliyun import sign  # noqa: E402
from service.notify.dispatch import DEFAULT_BATCH, DEFAULT_CONCURRENCY, drain  # noqa: E402
from testkit.fakes.aliyun import FakeAliyunSms  # noqa: E402
from testkit.fakes.base import Fault  # noqa: E402
from testkit.roster import load  # noqa: E402
from testkit.sms import sms_config  # noqa: E402

FAR = timedelta(days=3650)
# The variables a card SMS carries (service.notify.aliyun.template_params), so the bare loop
# sends requests of the same size as the drain: the masked ID and phone, the code, the slug.
CARD_PARAMS = {"name": "张三", "id": "1101**********123X", "phone": "139****0000",
               "code": "K7M2QX", "token": "aB3dE5gH7jK9"}


def bare_loop(url: str, n: int, secret: str, key_id: str, first: int = 0) -> float:
    """POST ``n`` signed SendSms requests one after another; return seconds taken."""
    conn = http.client.HTTPConnection(urlsplit(url).netloc, timeout=30)
    start = time.perf_counter()
    for i in range(first, first + n):
        params = {
            "AccessKeyId": key_id, "Action": "SendSms", "Format": "JSON",
            "RegionId": "cn-hangzhou", "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25", "PhoneNumbers": f"139{i:08d}", "SignName": "测试党委",
            "TemplateCode": "SMS_CARD_1", "OutId": str(i),
            "TemplateParam": json.dumps(CARD_PARAMS, ensure_ascii=False),
        }
        params["Signature"] = sign(params, secret)
        conn.request("POST", "/", body=urlencode(params).encode(),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        if json.loads(response.read())["Code"] != "OK":
            raise SystemExit("bare loop: the fake refused a request")
    seconds = time.perf_counter() - start
    conn.close()
    return seconds


def serve_fake(latency: float) -> None:
    """Run the fake in this process; print its URL; stop when stdin closes."""
    fake = FakeAliyunSms().start()
    if latency:
        fake.always = Fault(delay=latency, proceed=True)
    print(fake.url, flush=True)
    sys.stdin.read()
    fake.stop()


def start_fake(args: argparse.Namespace) -> tuple[str, object]:
    """Start the fake (own process unless asked otherwise); return its URL and a handle."""
    latency = args.latency_ms / 1000
    if args.in_process_fake:
        fake = FakeAliyunSms().start()
        if latency:
            fake.always = Fault(delay=latency, proceed=True)
        return fake.url, fake
    proc = subprocess.Popen([sys.executable, __file__, "--serve-fake", str(latency)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    return proc.stdout.readline().strip(), proc


def stop_fake(handle: object) -> None:
    if isinstance(handle, FakeAliyunSms):
        handle.stop()
    else:
        assert isinstance(handle, subprocess.Popen)
        handle.communicate(timeout=30)


def seed(members: int) -> list[int]:
    """Queue one card per member, none of them due yet; return the row ids."""
    load(members, 1)
    deadline = datetime.now().date() + timedelta(days=30)
    for root in db.session.scalars(select(Org).where(Org.parent_id.is_(None))).all():
        start_campaign(root, deadline, actor="bench")  # one campaign per committee
    db.session.execute(update(OutboxMessage).values(next_attempt_at=now_utc() + FAR))
    db.session.commit()
    return list(db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))


def make_due(ids: list[int]) -> None:
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                       .values(next_attempt_at=now_utc() - timedelta(seconds=1)))
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY,
                        help="the second concurrency measured (the first is 1)")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--in-process-fake", action="store_true")
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--serve-fake", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake is not None:
        serve_fake(args.serve_fake)
        return
    url, handle = start_fake(args)
    with tempfile.TemporaryDirectory() as tmp:
        # No provider rate limit: the bare loop has none, and this measures the outbox itself.
        config = sms_config(url, None, "sms_aliyun", NOTIFY_HTTP_TIMEOUT=30.0,
                            NOTIFY_RATE_SMS_ALIYUN=0)
        app = create_app({"SQLALCHEMY_DATABASE_URI": args.db or f"sqlite:///{tmp}/bench.db",
                          "SECRET_KEY": "bench", "DATA_KEY": new_key(),
                          "EVIDENCE_DIR": f"{tmp}/evidence", **config},
                         instance_path=f"{tmp}/instance")
        with app.app_context():
            db.drop_all()
            db.create_all()
            t0 = time.perf_counter()
            ids = seed(args.members)
            print(f"seeded {len(ids)} queued cards in {time.perf_counter() - t0:.1f} s; "
                  f"fake {'in this process' if args.in_process_fake else 'in its own process'}"
                  f", latency {args.latency_ms:g} ms, batch {args.batch}")
            run(args, ids, url, config)
            db.session.remove()
    stop_fake(handle)


def run(args: argparse.Namespace, ids: list[int], url: str, config: dict[str, object]) -> None:
    widths = [1, args.concurrency] if args.concurrency != 1 else [1]
    chunk = len(ids) // (args.rounds * len(widths))
    timings: dict[int, list[tuple[float, float]]] = {w: [] for w in widths}
    secret, key_id = str(config["ALIYUN_ACCESS_KEY_SECRET"]), str(config["ALIYUN_ACCESS_KEY_ID"])
    position = 0
    for _ in range(args.rounds):
        for width in widths:
            rows = ids[position:position + chunk]
            position += chunk
            base_s = bare_loop(url, len(rows), secret, key_id, first=position)
            make_due(rows)
            start = time.perf_counter()
            done = drain(f"bench-{width}", batch=args.batch, once=True, workers=width)
            drain_s = time.perf_counter() - start
            if done["sent"] != len(rows):
                raise SystemExit(f"drain sent {done['sent']} of {len(rows)}: {dict(done)}")
            timings[width].append((base_s, drain_s))
    print(f"{'':22}{'msg/s':>9}{'ratio':>8}{'median':>8}{'outbox ms/msg':>15}")
    for width, pairs in timings.items():
        n = chunk * len(pairs)
        base_s, drain_s = sum(p[0] for p in pairs), sum(p[1] for p in pairs)
        median = statistics.median(p[0] / p[1] for p in pairs)
        print(f"bare HTTP loop        {n / base_s:9.0f}")
        print(f"drain concurrency {width:<4}{n / drain_s:9.0f}{base_s / drain_s:8.2f}"
              f"{median:8.2f}{(drain_s - base_s) / n * 1000:15.3f}")
    print("(ratio = bare time / drain time over all rounds, target >= 0.7; median = of the "
          "rounds; outbox ms/msg = (drain - bare) / messages, negative when sends overlap)")
    check(chunk * args.rounds * len(widths))


def check(expected: int) -> None:
    """Every sent row has exactly one "sent" entry, and the chain verifies."""
    db.session.rollback()
    sent = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.state == SENT))
    entries = db.session.scalar(select(func.count(func.distinct(EvidenceEntry.idempotency_key)))
                                .where(EvidenceEntry.kind == ledger.CARD_SENT))
    total = db.session.scalar(select(func.count()).select_from(EvidenceEntry)
                              .where(EvidenceEntry.kind == ledger.CARD_SENT))
    report = verify_chain()
    print(f"sent {sent}/{expected}, sent entries {total} ({entries} distinct), "
          f"chain {'ok' if report.ok else report.problem}")
    if sent != expected or total != expected or entries != expected or not report.ok:
        raise SystemExit("evidence check failed")


if __name__ == "__main__":
    main()
