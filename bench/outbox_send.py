"""Send a campaign's cards through the outbox to a loopback Aliyun fake, against a bare loop.

    .venv/bin/python bench/outbox_send.py [--members 10000] [--db URL] [--batch 50]

Seeds a synthetic roster and starts a campaign (one queued card per member; not timed), then
times in the same run, against the same fake: a bare loop that signs and POSTs one SendSms
per member over a kept-alive http.client connection (no database), and `drain` (claim,
compose, sign, POST, record sent + evidence) in one worker. Prints both rates and their ratio.
The fake answers in well under a millisecond, so the ratio is the outbox's own cost per
message; against a real provider's tens of milliseconds it matters far less.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from bench.quality_report import load  # noqa: E402
from service import create_app  # noqa: E402
from service.campaign.campaigns import start_campaign  # noqa: E402
from service.extensions import db  # noqa: E402
from service.keys import new_key  # noqa: E402
from service.models import Org, OutboxMessage  # noqa: E402
from service.models.outbox import SENT  # noqa: E402
from service.notify.aliyun import sign  # noqa: E402
from service.notify.dispatch import drain  # noqa: E402
from tests.fakes.aliyun import FakeAliyunSms  # noqa: E402
from tests.sms_helpers import sms_config  # noqa: E402


def bare_loop(url: str, n: int, secret: str, key_id: str) -> float:
    """POST ``n`` signed SendSms requests one after another; return seconds taken."""
    conn = http.client.HTTPConnection(urlsplit(url).netloc, timeout=5)
    start = time.perf_counter()
    for i in range(n):
        params = {
            "AccessKeyId": key_id, "Action": "SendSms", "Format": "JSON",
            "RegionId": "cn-hangzhou", "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25", "PhoneNumbers": f"139{i:08d}", "SignName": "测试党委",
            "TemplateCode": "SMS_CARD_1", "OutId": str(i),
            "TemplateParam": json.dumps({"name": "张三", "code": "K7M2QX", "token": "t"},
                                        ensure_ascii=False),
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    fake = FakeAliyunSms().start()
    with tempfile.TemporaryDirectory() as tmp:
        config = sms_config(fake.url, None, "sms_aliyun")
        app = create_app({"SQLALCHEMY_DATABASE_URI": args.db or f"sqlite:///{tmp}/bench.db",
                          "SECRET_KEY": "bench", "DATA_KEY": new_key(),
                          "EVIDENCE_DIR": f"{tmp}/evidence", **config},
                         instance_path=f"{tmp}/instance")
        with app.app_context():
            db.drop_all()
            db.create_all()
            t0 = time.perf_counter()
            load(args.members, 1)
            deadline = datetime.now().date() + timedelta(days=30)
            for root in db.session.scalars(select(Org).where(Org.parent_id.is_(None))).all():
                start_campaign(root, deadline, actor="bench")  # one campaign per committee
            db.session.commit()
            queued = db.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
            print(f"seeded {queued} queued cards in {time.perf_counter() - t0:.1f} s")
            base_s = bare_loop(fake.url, queued, config["ALIYUN_ACCESS_KEY_SECRET"],
                               config["ALIYUN_ACCESS_KEY_ID"])
            start = time.perf_counter()
            done = drain("bench", batch=args.batch, once=True)
            drain_s = time.perf_counter() - start
            sent = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                     .where(OutboxMessage.state == SENT))
            print(f"bare HTTP loop      {queued / base_s:8.0f} msg/s ({base_s:.2f} s)")
            print(f"outbox drain        {queued / drain_s:8.0f} msg/s ({drain_s:.2f} s), "
                  f"sent {sent}/{queued}, outcomes {dict(done)}")
            print(f"drain / bare ratio  {base_s / drain_s:8.2f}  (target >= 0.7)")
            db.session.remove()
    fake.stop()


if __name__ == "__main__":
    main()
