"""The migrations build exactly the schema the models describe, on SQLite and MariaDB."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from service.extensions import db


def test_migrations_match_models(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, db.metadata)
    assert diffs == []


def test_mariadb_tables_use_utf8mb4(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name != "mysql":
            return
        rows = conn.exec_driver_sql(
            "SELECT table_name, table_collation FROM information_schema.tables "
            "WHERE table_schema = DATABASE()").all()
    assert rows and all(coll.startswith("utf8mb4") for _, coll in rows)
