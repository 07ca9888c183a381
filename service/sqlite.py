"""SQLite connection settings: the write-ahead log, so readers and the writer do not block."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event

from service.extensions import db


def init_app(app: Flask) -> None:
    """Put every connection to an SQLite database in WAL mode (no-op for other databases).

    The web app, the outbox worker and the scheduler share one file. In the default rollback
    journal a commit waits for every reader to finish and costs several fsyncs; in WAL mode
    readers never block the writer and a commit is one append and one fsync. ``synchronous``
    stays at its FULL default: a confirmation the member was told is saved must survive a
    power cut.
    """
    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        return
    with app.app_context():
        event.listen(db.engine, "connect", _wal)


def _wal(dbapi_connection: Any, _record: Any) -> None:
    # An in-memory database answers "memory" and stays as it is.
    dbapi_connection.execute("PRAGMA journal_mode=WAL").close()
