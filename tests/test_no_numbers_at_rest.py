"""After a campaign with SMS replies from members and from an unknown phone, no full ID number
or mobile is anywhere at rest: not in the evidence folder, the database, nor the logs."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from service.campaign import workflow
from service.evidence.attachments import store_attachment
from service.evidence.verification import verify_chain
from service.extensions import db
from service.unit_of_work import run_unit
from testkit.inbound import post_sms, wechat_config
from testkit.workflow import MP3, cm_of, started

UNKNOWN_PHONE = "13712340987"


@pytest.fixture
def app(make_app: Any) -> Iterator[Flask]:
    app = make_app(**wechat_config(NOTIFY_CHANNELS="sms_aliyun,sms_tencent"))
    with app.app_context():
        yield app


def _aliyun(phone: str, content: str, seq: int) -> dict[str, Any]:
    return {"phone_number": phone, "content": content, "send_time": "2024-05-06 10:00:00",
            "dest_code": "8821", "sequence_id": seq}


def _campaign_with_replies(app: Flask) -> tuple[list[str], int]:
    campaign, members = started(2)
    numbers = [n for m in members for n in (m.id_number, m.mobile)]
    a, b, c, d = members
    client = app.test_client()
    post_sms(client, "/sms/aliyun/reply", [_aliyun(a.mobile, "1", 1),
                                           _aliyun(UNKNOWN_PHONE, "1", 2),
                                           _aliyun(b.mobile, "N", 3)])
    post_sms(client, "/sms/tencent/reply", {"mobile": c.mobile, "nationcode": "86", "text": "Y",
                                            "time": 1714960001, "sign": "x", "extend": ""})
    scan = MP3 + f"录音：{d.mobile} {d.id_number}".encode()  # a recording that says them

    def proxy() -> Any:
        att = store_attachment("录音.mp3", scan, uploaded_by="admin:3")
        return workflow.proxy_confirm(campaign.id, d.id, actor="admin:3", collector_name="李四",
                                      method="phone", confirmed_on=date(2017, 6, 30),
                                      attachments=[att])

    run_unit(proxy)
    assert cm_of(campaign.id, a.id).state == "confirmed"
    assert cm_of(campaign.id, c.id).state == "confirmed"
    assert cm_of(campaign.id, d.id).state != "pending"
    return [*numbers, UNKNOWN_PHONE], campaign.id


def _database_text() -> str:
    """Every value of every row of every table, as text."""
    meta = sa.MetaData()
    meta.reflect(db.engine)
    parts = []
    with db.engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(sa.select(table)):
                parts.append(" ".join(
                    v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                    for v in row))
    return "\n".join(parts)


def _database_files(app: Flask) -> list[Path]:
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or not url.database:
        return []
    base = Path(url.database)
    return [p for p in (base, Path(f"{base}-wal"), Path(f"{base}-journal")) if p.exists()]


def test_no_full_number_in_evidence_database_or_logs(
        app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    numbers, _ = _campaign_with_replies(app)
    db.session.remove()

    evidence = [p for p in Path(app.config["EVIDENCE_DIR"]).rglob("*") if p.is_file()]
    assert len(evidence) >= 3  # the members' pushes and the recording are there, sealed
    # The database files are read in another process: closing a file this process opened
    # itself would drop every POSIX lock SQLite holds on it here, and another connection could
    # then reset the WAL under the rest of the suite (a "disk I/O error" several tests later).
    stored = [p.read_bytes() for p in evidence] + [
        subprocess.run(["cat", str(p)], check=True, capture_output=True).stdout
        for p in _database_files(app)]
    text = _database_text()
    for number in numbers:
        raw = number.encode()
        assert not any(raw in data for data in stored), number
        assert number not in text, number
        assert number not in caplog.text, number
    assert verify_chain().ok  # sealed, and every byte still checks
