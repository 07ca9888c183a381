"""Declarative base: naming convention, type map and the column shapes the models share."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, mapped_column, registry

from service.clock import now_utc

# Stable constraint names keep Alembic migrations identical on SQLite and MariaDB.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model."""

    # Flask-SQLAlchemy builds its own subclass, so the map must sit on the registry itself.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        # MySQL needs a length on every VARCHAR; 255 keeps utf8mb4 index keys within limits.
        type_annotation_map={str: String(255), datetime: DateTime()},
    )


# BIGINT on MySQL (rosters reach millions of rows), INTEGER on SQLite so it stays the rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")

intpk = Annotated[int, mapped_column(BigId, primary_key=True, autoincrement=True)]
created_at = Annotated[datetime, mapped_column(default=now_utc)]
str2 = Annotated[str, mapped_column(String(2))]
str8 = Annotated[str, mapped_column(String(8))]
str16 = Annotated[str, mapped_column(String(16))]
str64 = Annotated[str, mapped_column(String(64))]
text = Annotated[str, mapped_column(Text)]
