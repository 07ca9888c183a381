"""`gunicorn service.wsgi:app`, as `make serve` and the web unit run it: serves, or refuses."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import pytest
from flask import Flask

from tests.conftest import TEST_DATA_KEY

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _gunicorn(tmp_path: Path, port: int, log: IO[bytes], **settings: str
              ) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update(PYTHONPATH=str(ROOT), FLASK_EVIDENCE_DIR=str(tmp_path / "evidence"), **settings)
    return subprocess.Popen(
        [GUNICORN, "--workers", "2", "--bind", f"127.0.0.1:{port}", "--timeout", "60",
         "--no-control-socket", "service.wsgi:app"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)


def _get(port: int, path: str) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read().decode()
    finally:
        conn.close()


def _wait_until_up(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 90  # two workers import the app on a busy machine
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if _get(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError("gunicorn did not answer:\n" + log.read_text())


def test_gunicorn_serves_the_app_with_two_workers(app: Flask, tmp_path: Path) -> None:
    port, log = _free_port(), tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        proc = _gunicorn(tmp_path, port, out, FLASK_SECRET_KEY="serve-test-secret",
                         FLASK_DATA_KEY=TEST_DATA_KEY,
                         FLASK_SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        _wait_until_up(proc, port, log)
        status, _, body = _get(port, "/")
        assert status == 200 and "党员信息确认" in body
        status, headers, body = _get(port, "/admin/login")
        assert status == 200 and 'name="password"' in body
        assert "; Secure" in headers["Set-Cookie"]  # production: never over plain http
        assert _get(port, "/console")[0] == 404  # the demo's message page is not there
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    output = log.read_text()
    assert proc.returncode == 0, output
    assert output.count("Booting worker with pid") >= 2


def test_gunicorn_refuses_to_start_without_keys(tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        proc = _gunicorn(tmp_path, _free_port(), out,
                         FLASK_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'unused.db'}")
    try:
        proc.wait(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = log.read_text()
    assert proc.returncode != 0
    assert "未设置 FLASK_SECRET_KEY、FLASK_DATA_KEY，拒绝启动" in output
    assert "python -m service.keys" in output
