"""The local-folder store: one file per key, written atomically, readable by the owner only."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


class LocalStore:
    """Keys are relative paths under ``root``; files are 0600 and folders 0700."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        """Return the file that holds ``key`` (refusing keys that climb out of the root)."""
        parts = key.split("/")
        if not key or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"bad storage key: {key!r}")
        return self.root.joinpath(*parts)

    def put(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")  # created 0600
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            # Stamped with this process's clock, the one older_than's cutoff comes from: the
            # file system's own time may differ (a clock moved for tests, a network mount).
            now = time.time()
            os.utime(tmp, (now, now))
            os.replace(tmp, target)  # atomic: a reader never sees half a file
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def older_than(self, prefix: str, cutoff: datetime) -> list[str]:
        start = self.root / prefix if prefix else self.root
        if not start.exists():
            return []
        limit = cutoff.replace(tzinfo=UTC).timestamp()
        found = []
        for path in (start.rglob("*") if start.is_dir() else [start]):
            if path.is_file() and not path.name.startswith(".tmp-") \
                    and path.stat().st_mtime < limit:
                found.append(path.relative_to(self.root).as_posix())
        return sorted(found)

    def keys(self, prefix: str) -> list[str]:
        start = self.root / prefix if prefix else self.root
        if not start.exists():
            return []
        return sorted(path.relative_to(self.root).as_posix()
                      for path in (start.rglob("*") if start.is_dir() else [start])
                      if path.is_file() and not path.name.startswith(".tmp-"))
