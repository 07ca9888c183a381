"""Keys: required in production, generated only in demo mode, made by `python -m service.keys`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from service import create_app
from service.keys import MissingKeys, decode_data_key, new_key

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _no_keys_in_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("FLASK_SECRET_KEY", "FLASK_DATA_KEY", "FLASK_DATA_KEY_OLD", "FLASK_DEMO",
                 "FLASK_TESTING"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'unused.db'}")


def test_production_refuses_to_start_without_keys(tmp_path: Path) -> None:
    with pytest.raises(MissingKeys) as refused:
        create_app(instance_path=str(tmp_path))
    message = str(refused.value)
    assert "未设置 FLASK_SECRET_KEY、FLASK_DATA_KEY，拒绝启动" in message
    assert "python -m service.keys" in message
    assert not (tmp_path / "secret.key").exists() and not (tmp_path / "data.key").exists()


def test_the_refusal_names_only_the_missing_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setenv("FLASK_SECRET_KEY", "set-in-the-environment")
    with pytest.raises(MissingKeys) as refused:
        create_app(instance_path=str(tmp_path))
    assert "未设置 FLASK_DATA_KEY，" in str(refused.value)
    assert "FLASK_SECRET_KEY" not in str(refused.value)


def test_key_files_left_by_a_demo_are_not_used_in_production(tmp_path: Path) -> None:
    # Another host would not have them: production keys come from the shared settings only.
    (tmp_path / "secret.key").write_text(new_key())
    (tmp_path / "data.key").write_text(new_key())
    with pytest.raises(MissingKeys):
        create_app(instance_path=str(tmp_path))


def test_keys_from_the_settings_start_the_app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    key = new_key()
    monkeypatch.setenv("FLASK_SECRET_KEY", "shared-secret")
    monkeypatch.setenv("FLASK_DATA_KEY", key)
    app = create_app(instance_path=str(tmp_path))
    assert app.config["DATA_KEY"] == key and not app.config["DEMO"]
    assert not (tmp_path / "data.key").exists()


def test_a_malformed_old_key_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FLASK_SECRET_KEY", "shared-secret")
    monkeypatch.setenv("FLASK_DATA_KEY", new_key())
    monkeypatch.setenv("FLASK_DATA_KEY_OLD", "c2hvcnQ=")
    with pytest.raises(RuntimeError, match="FLASK_DATA_KEY_OLD 应为 32 字节"):
        create_app(instance_path=str(tmp_path))


def _keys_command(*args: str) -> subprocess.CompletedProcess[str]:
    # No settings at all: the command exists because the app cannot start without keys.
    return subprocess.run(
        [sys.executable, "-m", "service.keys", *args], capture_output=True, text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=60)


def test_the_key_command_needs_no_settings_and_prints_a_fresh_key() -> None:
    first, second = _keys_command(), _keys_command("new")
    assert first.returncode == second.returncode == 0, first.stderr
    keys = [first.stdout.strip(), second.stdout.strip()]
    assert keys[0] != keys[1]
    assert all(len(decode_data_key(k)) == 32 for k in keys)


def test_the_key_command_explains_its_usage() -> None:
    wrong = _keys_command("rotate")
    assert wrong.returncode == 2 and "用法" in wrong.stderr and not wrong.stdout
