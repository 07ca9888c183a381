"""Secret keys: taken from the settings; generated into the instance folder only in the demo.

Every host and process of one deployment must share FLASK_SECRET_KEY (sessions and member
links) and FLASK_DATA_KEY (encrypted ID numbers and phones): a key a host made for itself
would make its links and data unreadable to the others. So outside demo mode and the tests
the app refuses to start without them. `python -m service.keys` prints a fresh key; it needs
no settings, because `flask …` cannot load the app before the keys exist.
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from pathlib import Path

from flask import Flask

KEY_COMMAND = "python -m service.keys"
_KEYS = (("SECRET_KEY", "secret.key"), ("DATA_KEY", "data.key"))


class MissingKeys(RuntimeError):
    """A production start without FLASK_SECRET_KEY or FLASK_DATA_KEY."""


def init_app(app: Flask) -> None:
    """Make sure SECRET_KEY and DATA_KEY are set: refuse in production, generate in the demo."""
    missing = [name for name, _ in _KEYS if not app.config.get(name)]
    if missing and not (app.config.get("DEMO") or app.testing):
        raise MissingKeys(missing_message(missing))
    for name, filename in _KEYS:
        if not app.config.get(name):
            app.config[name] = _load_or_create(app, Path(app.instance_path) / filename, name)


def missing_message(missing: list[str]) -> str:
    """Return the Chinese refusal naming the missing keys and the command that makes one."""
    names = "、".join(f"FLASK_{name}" for name in missing)
    return (
        f"未设置 {names}，拒绝启动：生产环境不会自行生成密钥（各主机自行生成的密钥互不相通，"
        f"会话、确认链接和加密数据将无法互认）。请运行 `{KEY_COMMAND}` 生成密钥（每个变量各生成"
        "一次），写入所有主机共用的环境文件（见 deploy/member-confirm.env.example）并妥善备份；"
        "本机演示请用 `make demo`（FLASK_DEMO=1）。"
    )


def new_key() -> str:
    """Return a fresh 256-bit key in the form FLASK_DATA_KEY expects (URL-safe base64)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def decode_data_key(value: str, name: str = "FLASK_DATA_KEY") -> bytes:
    """Decode a data key, refusing anything that is not 32 bytes of base64."""
    try:
        raw = base64.urlsafe_b64decode(value.encode() + b"=" * (-len(value) % 4))
    except ValueError as exc:
        raise RuntimeError(f"{name} 不是有效的 base64 编码") from exc
    if len(raw) != 32:
        raise RuntimeError(f"{name} 应为 32 字节（base64 编码），实为 {len(raw)} 字节")
    return raw


def _load_or_create(app: Flask, path: Path, name: str) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_key()
    try:
        # O_EXCL: when several processes start at once exactly one writes the key, and the
        # others read it, so they never encrypt with different keys.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    app.logger.warning(
        "FLASK_%s is not set: generated a key into %s (demo mode only). Production sets "
        "FLASK_%s; data encrypted with a lost key cannot be read again.",
        name, path, name,
    )
    return key


def main(argv: list[str] | None = None) -> int:
    """`python -m service.keys [new]`: print a fresh key for FLASK_SECRET_KEY or FLASK_DATA_KEY."""
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["new"]):
        print(f"用法：{KEY_COMMAND} [new]  打印一个新密钥（FLASK_SECRET_KEY 或 FLASK_DATA_KEY "
              "均可用），每次输出都不同", file=sys.stderr)
        return 2
    print(new_key())
    return 0


if __name__ == "__main__":
    sys.exit(main())
