"""One storage interface for files every host must see: evidence blobs, import uploads, reports.

A store holds bytes under a key ("blobs/ab/abcd…", "12/upload.xlsx") inside one area
("evidence", "imports"). ``STORAGE_BACKEND = "local"`` (the default) keeps each area in a
folder (EVIDENCE_DIR, ADMIN_IMPORT_DIR); ``"s3"`` keeps them in one S3-compatible bucket
(MinIO, Aliyun OSS, Tencent COS) under the area's name as a prefix, so that the web, worker
and scheduler processes on several hosts see the same files. Stores hold whatever they are
given: callers seal what is personal before it comes here (service.sealing).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Protocol

from flask import current_app

EVIDENCE = "evidence"
IMPORTS = "imports"
_EXTENSION = "storage"


class Store(Protocol):
    """Bytes by key. Writes are atomic: a reader sees the whole object or none of it."""

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, replacing what was there."""

    def get(self, key: str) -> bytes | None:
        """Return the bytes under ``key``, or None if there are none."""

    def exists(self, key: str) -> bool:
        """Return whether something is stored under ``key``."""

    def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing key is not an error."""

    def older_than(self, prefix: str, cutoff: datetime) -> list[str]:
        """Return the keys under ``prefix`` last written before ``cutoff`` (naive UTC)."""

    def keys(self, prefix: str) -> list[str]:
        """Return every key under ``prefix``, sorted."""


def store(area: str) -> Store:
    """Return the current app's store for ``area`` (EVIDENCE or IMPORTS), built once."""
    stores: dict[str, Store] = current_app.extensions.setdefault(_EXTENSION, {})
    if area not in stores:
        stores[area] = _build(area)
    return stores[area]


def _build(area: str) -> Store:
    config = current_app.config
    backend = (config.get("STORAGE_BACKEND") or "local").lower()
    if backend == "s3":
        from service.storage.s3 import S3Store  # boto3 loads only where it is used

        return S3Store.from_config(config, prefix=f"{area}/")
    if backend != "local":
        raise RuntimeError(f"STORAGE_BACKEND 应为 local 或 s3，而不是 {backend!r}")
    from service.storage.local import LocalStore

    return LocalStore(local_root(area))


def local_root(area: str) -> Path:
    """Return the folder that holds ``area`` with the local backend."""
    if area == EVIDENCE:
        return Path(current_app.config["EVIDENCE_DIR"])
    if area == IMPORTS:
        configured = current_app.config.get("ADMIN_IMPORT_DIR")
        return Path(configured or Path(current_app.instance_path) / "imports")
    raise ValueError(area)
