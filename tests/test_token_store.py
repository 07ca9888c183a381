"""The shared access-token store: one fetch for many workers, expiry on read, no stampede."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from service.clock import now_utc
from service.extensions import db
from service.models import WeChatToken
from service.notify import tokens
from service.notify.wechat_client import oa_client
from testkit.fakes.wechat import OA_APPID, FakeWeChat

ROOT = Path(__file__).resolve().parent.parent


def _stored() -> Any:
    with db.engine.connect() as conn:
        return conn.execute(select(WeChatToken.token, WeChatToken.generation,
                                   WeChatToken.refresh_at)
                            .where(WeChatToken.appid == OA_APPID)).one()


def test_two_app_instances_fetch_the_token_once(wechat_app: Any, wechat_fake: FakeWeChat) -> None:
    apps = [wechat_app(), wechat_app()]
    start, errors = threading.Barrier(8), []

    def worker(app: Flask, n: int) -> None:
        with app.app_context():
            start.wait()
            try:
                oa_client().create_qrcode(f"c:{n}:x", 60)
            except Exception as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(apps[i % 2], i)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(wechat_fake.token_fetches()) == 1 and len(wechat_fake.qrcodes) == 8


@pytest.mark.slow  # two processes
def test_two_processes_fetch_the_token_once(wechat_app: Any, wechat_fake: FakeWeChat,
                                            tmp_path: Path) -> None:
    app = wechat_app()
    keys = ["SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "DATA_KEY", "WECHAT_API_BASE",
            "WECHAT_APPID", "WECHAT_SECRET", "WECHAT_TIMEOUT"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update({f"FLASK_{k}": app.config[k] if isinstance(app.config[k], str)
                else json.dumps(app.config[k]) for k in keys})
    env["PYTHONPATH"] = str(ROOT)
    script = ("from service import create_app\n"
              "from service.notify.wechat_client import oa_client\n"
              "import sys\n"
              f"app = create_app(instance_path={str(tmp_path)!r})\n"
              "with app.app_context():\n"
              "    for i in range(5):\n"
              "        oa_client().create_qrcode(f'p:{sys.argv[1]}:{i}', 60)\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(n)], env=env, cwd=tmp_path,
                              stderr=subprocess.PIPE) for n in range(2)]
    outcomes = [(p.returncode, err.decode()[-2000:])
                for p in procs for _, err in [p.communicate(timeout=60)]]
    assert all(code == 0 for code, _ in outcomes), outcomes
    assert len(wechat_fake.qrcodes) == 10 and len(wechat_fake.token_fetches()) == 1


def test_expired_token_is_never_handed_out(wechat_app: Any, wechat_fake: FakeWeChat) -> None:
    with wechat_app().app_context():
        client = oa_client()
        client.create_qrcode("c:1:a", 60)
        first = _stored()
        with db.engine.begin() as conn:  # past its refresh time (5 minutes before expiry)
            conn.execute(update(WeChatToken).values(refresh_at=now_utc() - timedelta(seconds=1)))
        client.create_qrcode("c:1:b", 60)
        assert len(wechat_fake.token_fetches()) == 2
        # stable_token (normal mode) answered with the same, still valid token: kept, and
        # used to near its end rather than asked for again on every call.
        again = _stored()
        assert again.token == first.token and again.generation == first.generation
        assert again.refresh_at > now_utc()
        client.create_qrcode("c:1:c", 60)
        assert len(wechat_fake.token_fetches()) == 2


def test_a_refused_token_is_replaced_only_if_still_stored(wechat_app: Any,
                                                          wechat_fake: FakeWeChat) -> None:
    with wechat_app().app_context():
        client = oa_client()
        old = tokens.current(OA_APPID, client.fetch_token)
        new = tokens.replace(OA_APPID, client.fetch_token, old)  # worker A: refused → force
        assert new.value != old.value and new.generation == old.generation + 1
        late = tokens.replace(OA_APPID, client.fetch_token, old)  # worker B, same old token
        assert late == new
        assert [b'"force_refresh": true' in f["body"] for f in wechat_fake.token_fetches()] == [
            False, True]
        assert wechat_fake.valid(old.value) is None and wechat_fake.valid(new.value) == OA_APPID


def test_tokens_are_encrypted_at_rest(wechat_app: Any, wechat_fake: FakeWeChat) -> None:
    with wechat_app().app_context():
        value = tokens.current(OA_APPID, oa_client().fetch_token).value
        with db.engine.connect() as conn:
            raw = conn.exec_driver_sql("SELECT token FROM wechat_tokens").scalar_one()
    assert value and value not in raw
