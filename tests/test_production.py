"""Production settings: Secure session cookie, /console only in the demo, ProxyFix, no demo wsgi."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, request

from tests.conftest import TEST_DATA_KEY

ROOT = Path(__file__).resolve().parent.parent


def _session_cookie(app: Flask) -> str:
    # The sign-in page puts a CSRF token in the session, so it always sets the cookie.
    response = app.test_client().get("/admin/login")
    assert response.status_code == 200
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(cookies) == 1
    return cookies[0]


def test_the_session_cookie_is_secure_outside_the_demo(make_app: Callable[..., Flask]) -> None:
    production = make_app(TESTING=False)
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert "; Secure" in _session_cookie(production)


def test_the_demo_lets_the_session_cookie_travel_over_plain_http(
    make_app: Callable[..., Flask],
) -> None:
    demo = make_app(TESTING=False, DEMO=True)
    assert "Secure" not in _session_cookie(demo)
    assert "HttpOnly" in _session_cookie(demo)


def test_console_answers_only_in_demo_mode(make_app: Callable[..., Flask]) -> None:
    # "console" among the channels is not enough: the page lists every card link it sent.
    assert make_app(NOTIFY_CHANNELS="console").test_client().get("/console").status_code == 404
    demo = make_app(NOTIFY_CHANNELS="console", DEMO=True)
    assert demo.test_client().get("/console").status_code == 200


def _where_from(app: Flask) -> Any:
    @app.get("/test-where")
    def where() -> str:
        return f"{request.remote_addr} {request.scheme} {request.host}"

    return app.test_client().get("/test-where", headers={
        "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "confirm.example.org"}).get_data(as_text=True)


def test_proxy_fix_trusts_as_many_proxies_as_set(make_app: Callable[..., Flask]) -> None:
    assert _where_from(make_app()) == "127.0.0.1 http localhost"
    assert _where_from(make_app(PROXY_FIX=1)) == "203.0.113.7 https confirm.example.org"


def test_the_wsgi_entry_point_refuses_demo_mode(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update(FLASK_DEMO="1", FLASK_SECRET_KEY="k", FLASK_DATA_KEY=TEST_DATA_KEY,
               FLASK_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'unused.db'}",
               PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", "import service.wsgi"], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 4
    assert "已设置 FLASK_DEMO" in done.stderr and "拒绝启动" in done.stderr
    assert "Traceback" not in done.stderr
