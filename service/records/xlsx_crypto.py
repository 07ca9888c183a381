"""Password-encrypted workbooks (ECMA-376 Agile, what Excel 2010+ and LibreOffice open) for 报送."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from msoffcrypto.format.ooxml import OOXMLFile


def encrypt_workbook(plain: IO[bytes], target: IO[bytes], password: str) -> None:
    """Write an encrypted copy of the plain .xlsx in plain to target."""
    if not password:
        raise ValueError("密码不能为空")
    OOXMLFile(plain).encrypt(password, target)


def decrypt_workbook(encrypted: IO[bytes], target: IO[bytes], password: str) -> None:
    """Write the plain .xlsx inside an encrypted workbook to target (wrong password raises)."""
    office = OOXMLFile(encrypted)
    office.load_key(password=password)
    office.decrypt(target)


def save_protected(path: str | Path, password: str | None,
                   write: Callable[[IO[bytes]], None]) -> None:
    """Run write on a file and leave it at path, encrypted with password when one is given.

    The plain workbook only ever exists as a private temporary file next to the target, so a
    failed run leaves neither a half-written nor an unencrypted file at path.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
    try:
        with os.fdopen(fd, "w+b") as plain:
            write(plain)
            if password:
                plain.seek(0)
                fd2, tmp2 = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
                with os.fdopen(fd2, "wb") as out:
                    encrypt_workbook(plain, out, password)
                os.replace(tmp2, path)
        if not password:
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
