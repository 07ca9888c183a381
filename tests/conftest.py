"""Shared fixtures: an app on a fresh schema (SQLite, or MariaDB via TEST_DATABASE_URL),
a clean database per test, and a guard that fails any test reaching beyond loopback."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from service.extensions import db
from service.notify import transport
from testkit.fakes.aliyun import FakeAliyunSms
from testkit.fakes.wechat import FakeWeChat, wechat_config
from tests.browser_helpers import browser, served  # noqa: F401  (one definition for every module)

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_DATA_KEY = "dGVzdC1vbmx5LWRhdGEta2V5LTMyLWJ5dGVzLWxvbmc="  # 32 bytes, tests only


# ---- network guard: fakes listen on 127.0.0.1; nothing else may be reached ----------------

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # unix sockets (the MariaDB admin socket) stay on this machine
    host = address[0]
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise RuntimeError(f"test tried to reach a non-loopback address: {host!r}")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self, address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


# ---- database ------------------------------------------------------------------------------

def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the database, so `pytest -m db` reruns them on MariaDB."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if {"app", "app_ctx", "client", "runner", "db_config"} & fixtures:
            item.add_marker(pytest.mark.db)


@pytest.fixture(scope="session")
def db_config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Settings every test app shares: the test database and fixed keys."""
    uri = TEST_DATABASE_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": uri,
        "SECRET_KEY": "test-secret-key",
        "DATA_KEY": TEST_DATA_KEY,
        # Tests run at any hour: sending is not held for the night unless a test asks.
        "NOTIFY_QUIET_HOURS": "",
    }


@pytest.fixture(scope="session")
def _schema(db_config: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> None:
    """Build the schema once per run through the real migrations, from an empty database."""
    import flask_migrate

    app = create_app(db_config, instance_path=str(tmp_path_factory.mktemp("instance")))
    with app.app_context():
        meta = sa.MetaData()
        meta.reflect(db.engine)
        meta.drop_all(db.engine)
        flask_migrate.upgrade()


@pytest.fixture
def make_app(db_config: dict[str, Any], _schema: None, tmp_path: Path) -> Iterator[Any]:
    """Return a factory of apps on the test database, with extra settings; wipes rows after."""
    apps: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        config = {"EVIDENCE_DIR": str(tmp_path / "evidence"), **db_config, **overrides}
        app = create_app(config, instance_path=str(tmp_path / "instance"))
        app.test_client_class = BufferedClient
        apps.append(app)
        return app

    yield make
    transport.close_all()  # this test's fakes are gone: close the kept-alive connections
    if apps:
        _wipe(apps[0])


class BufferedClient(FlaskClient):
    """A test client that closes each response, as a WSGI server does after sending it.

    Downloads stream from temporary files that the response closes; an unbuffered test
    response is never closed, and the file would leak (a ResourceWarning, an error here).
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def ali() -> Iterator[FakeAliyunSms]:
    """The loopback Aliyun SMS fake (testkit.fakes.aliyun), stopped after the test."""
    server = FakeAliyunSms().start()
    yield server
    server.stop()


@pytest.fixture
def wechat_fake() -> Iterator[FakeWeChat]:
    """The loopback WeChat API fake (testkit.fakes.wechat), stopped after the test."""
    server = FakeWeChat().start()
    yield server
    server.stop()


@pytest.fixture
def wechat_app(make_app: Any, wechat_fake: FakeWeChat) -> Any:
    """A factory of apps whose WeChat settings point at ``wechat_fake`` (extra settings too)."""
    def make(**extra: Any) -> Flask:
        return make_app(**wechat_config(wechat_fake.url, **extra))
    return make


@pytest.fixture
def app(make_app: Any) -> Flask:
    """An app on a clean test database."""
    return make_app()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    """An app context pushed for the test (only where a test works on the session directly)."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


def _wipe(app: Flask) -> None:
    with app.app_context():
        db.session.rollback()
        with db.engine.begin() as conn:
            mysql = conn.dialect.name == "mysql"
            if mysql:  # orgs refer to orgs: let one DELETE clear a tree in any row order
                conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=0"))
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
            if mysql:
                conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=1"))
        db.session.remove()


# ---- S3-compatible storage ---------------------------------------------------------------

@pytest.fixture(scope="session")
def s3_server() -> Iterator[Any]:
    """The loopback S3 server (testkit.fakes.s3), started once per run when a test asks."""
    from testkit.fakes.s3 import FakeS3

    server = FakeS3().start()
    yield server
    server.stop()


@pytest.fixture
def s3_config(s3_server: Any) -> dict[str, Any]:
    """Settings for an app whose storage is a fresh, empty bucket on the loopback S3 server."""
    return s3_server.new_bucket()  # type: ignore[no-any-return]
