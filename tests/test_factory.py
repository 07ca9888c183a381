"""create_app: settings from the environment, keys, and nothing done at import time."""

from __future__ import annotations

import importlib
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from service import create_app
from service.keys import decode_data_key
from tests.conftest import TEST_DATA_KEY


def test_importing_service_touches_nothing(tmp_path: Path) -> None:
    # A fresh interpreter: importing the package and its models must not open a database,
    # create folders or read keys.
    code = (
        "import os, service, service.models, service.cli;"
        "print(sorted(os.listdir('.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(Path(__file__).resolve().parent.parent), "PATH": "/usr/bin:/bin"},
    )
    assert out.stdout.strip() == "[]"


def test_settings_come_from_flask_environment(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'from-env.db'}"
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", uri)
    monkeypatch.setenv("FLASK_SECRET_KEY", "from-env-secret")
    monkeypatch.setenv("FLASK_DATA_KEY", TEST_DATA_KEY)
    app = create_app(instance_path=str(tmp_path / "inst"))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == uri
    assert app.config["SECRET_KEY"] == "from-env-secret"


def test_default_database_is_sqlite_in_instance(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    monkeypatch.delenv("FLASK_SQLALCHEMY_DATABASE_URI", raising=False)
    app = create_app({"DEMO": True}, instance_path=str(tmp_path / "inst"))
    expected = f"sqlite:///{tmp_path / 'inst' / 'member_confirm.db'}"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected


def test_missing_data_key_is_generated_once_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("FLASK_DATA_KEY", raising=False)
    monkeypatch.setenv("FLASK_DEMO", "1")  # only the demo makes its own keys
    with caplog.at_level(logging.WARNING):
        first = create_app(instance_path=str(tmp_path))
    assert any("FLASK_DATA_KEY" in r.getMessage() for r in caplog.records)
    key_file = tmp_path / "data.key"
    assert key_file.stat().st_mode & 0o077 == 0  # readable by the owner only
    assert len(decode_data_key(first.config["DATA_KEY"])) == 32
    caplog.clear()
    second = create_app(instance_path=str(tmp_path))
    assert second.config["DATA_KEY"] == first.config["DATA_KEY"]
    assert not any("FLASK_DATA_KEY" in r.getMessage() for r in caplog.records)


def test_malformed_data_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="32 字节"):
        create_app({"DATA_KEY": "c2hvcnQ=", "SECRET_KEY": "k"}, instance_path=str(tmp_path))


def test_models_module_reimports_cleanly() -> None:
    assert importlib.reload(importlib.import_module("service.records.fields")).MEMBER_FIELDS
