"""Latency of /wechat/callback under sustained load, against a bare Flask endpoint.

    .venv/bin/python bench/webhook_latency.py [--members 200] [--clients 8] [--seconds 10]
                                              [--db URL]

Seeds a committee whose members are bound to openids and have a card out (not timed), then
serves the real app with werkzeug's threaded server on 127.0.0.1 and, in the same run, a bare
Flask app answering "success" from one route, served the same way. Client processes (not
threads, so they do not share the server's GIL) POST pre-built safe-mode (AES) text messages
— 查询/确认/帮助 from bound members, one in five a re-post of the previous message as WeChat
retries — for the given time over kept-alive connections. Prints p50/p99 for both and the
ratio. WeChat gives up after 5 s; the callback's p99 must be well inside that.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import multiprocessing
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from service import create_app  # noqa: E402
from service.extensions import db  # noqa: E402
from service.keys import new_key  # noqa: E402
from testkit import inbound as wx  # noqa: E402

Request = tuple[str, bytes]  # path with query, body


def build_requests(openids: list[str], n: int, seed: int) -> list[Request]:
    """Return ``n`` signed, encrypted text pushes; every fifth repeats the one before."""
    rng = random.Random(seed)
    out: list[Request] = []
    for i in range(n):
        if i % 5 == 4 and out:
            out.append(out[-1])
            continue
        xml = wx.text_xml(rng.choice(openids), rng.choice(["查询", "确认", "帮助"]),
                          msg_id=seed * 10_000_000 + i)
        ts, nonce = str(int(time.time())), f"n{seed}x{i}"
        encrypted = wx.encrypt(xml)
        query = (f"signature={wx.sha1_signature(wx.TOKEN, ts, nonce)}&timestamp={ts}"
                 f"&nonce={nonce}&encrypt_type=aes"
                 f"&msg_signature={wx.sha1_signature(wx.TOKEN, ts, nonce, encrypted)}")
        body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()
        out.append((f"/wechat/callback?{query}", body))
    return out


def client(port: int, requests: list[Request], seconds: float) -> list[float]:
    """POST requests in a loop for ``seconds``; return each latency in seconds."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < end:
        path, body = requests[i % len(requests)]
        i += 1
        start = time.perf_counter()
        conn.request("POST", path, body=body, headers={"Content-Type": "text/xml"})
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - start)
        if response.status != 200:
            raise SystemExit(f"HTTP {response.status} from the server")
    conn.close()
    return latencies


def serve(app: Flask) -> tuple[Any, int]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_port


def load(port: int, per_client: list[list[Request]], seconds: float) -> list[float]:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(len(per_client)) as pool:
        results = pool.starmap(client, [(port, reqs, seconds) for reqs in per_client])
    return sorted(x for r in results for x in r)


def pct(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


def seed(members: int) -> list[str]:
    from datetime import timedelta

    from service.campaign.campaigns import start_campaign
    from service.clock import today_local
    from testkit.factories import make_member, make_org

    root = make_org(name="中共压测委员会")
    branches = [make_org(root) for _ in range(max(1, members // 50))]
    people = [make_member(branches[i % len(branches)]) for i in range(members)]
    db.session.flush()
    start_campaign(root, today_local() + timedelta(days=30), actor="bench")
    db.session.commit()
    openids = []
    for person in people:
        openids.append(wx.bind(person, f"o-bench-{person.id}").openid)
    return openids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": args.db or f"sqlite:///{tmp}/bench.db",
                          "SECRET_KEY": "bench", "DATA_KEY": new_key(),
                          "EVIDENCE_DIR": f"{tmp}/evidence", "NOTIFY_CHANNELS": "console",
                          **wx.wechat_config()}, instance_path=f"{tmp}/instance")
        with app.app_context():
            db.drop_all()
            db.create_all()
            openids = seed(args.members)
            db.session.remove()
        per_client = [build_requests(openids, 2000, c + 1) for c in range(args.clients)]
        bare = Flask("bare")
        bare.add_url_rule("/wechat/callback", "cb", lambda: "success", methods=["POST"])
        results = {}
        for name, target in (("bare Flask endpoint", bare), ("/wechat/callback", app)):
            server, port = serve(target)
            results[name] = load(port, per_client, args.seconds)
            server.shutdown()
        with app.app_context():
            from sqlalchemy import func, select

            from service.models import InboxMessage
            rows = db.session.scalar(select(func.count()).select_from(InboxMessage))
            db.session.remove()
            db.drop_all() if args.db else None
    print(f"{args.clients} client processes x {args.seconds:.0f} s, {args.members} members; "
          f"inbox rows written: {rows}")
    for name, lat in results.items():
        print(f"{name:22s} {len(lat):7d} req  p50 {pct(lat, 50) * 1000:8.2f} ms  "
              f"p99 {pct(lat, 99) * 1000:8.2f} ms  max {lat[-1] * 1000:8.2f} ms")
    cb, base = results["/wechat/callback"], results["bare Flask endpoint"]
    print(f"callback / bare: p50 x{pct(cb, 50) / pct(base, 50):.1f}, "
          f"p99 x{pct(cb, 99) / pct(base, 99):.1f}")
    p99 = pct(cb, 99)
    verdict = "well inside" if p99 < 1.0 else ("inside" if p99 < 5.0 else "OUTSIDE")
    print(f"callback p99 {p99 * 1000:.0f} ms: {verdict} WeChat's 5 s limit")


if __name__ == "__main__":
    main()
