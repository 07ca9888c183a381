"""The one way the edges (views, CLI commands, scheduler jobs, workers) commit: a unit of work.

Use cases never commit. An edge hands its work to ``run_unit``, which commits once and rolls
back on any error. Two racing transitions on one member meet at the optimistic lock on
``campaign_members.revision`` (StaleDataError) or at a unique index (IntegrityError); the
loser is rolled back and run again from scratch, and then sees the winner's state (a repeated
confirmation returns the first one's evidence). So the work must read its input from plain
arguments (never ``request.form``) and have no effect outside the database.

A refusal whose work must stand (a ``ServiceError`` with ``keep=True``: the refusal itself
issued a new card) is committed first and then raised: that is the only way a use case keeps a
partial result. Long jobs that must not hold one transaction for hours (seeding a large demo
roster) commit after each batch through ``run_batches``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from service.errors import Conflict, ServiceError
from service.extensions import db

T = TypeVar("T")
ATTEMPTS = 5
_RETRYABLE_MYSQL = {1205, 1213}  # lock wait timeout, deadlock


def run_unit(work: Callable[[], T], *, attempts: int = ATTEMPTS, dry_run: bool = False) -> T:
    """Call ``work`` and commit; on a lost race roll back and call it again.

    :param attempts: how often to try; 1 for work with effects outside the database.
    :param dry_run: roll back instead of committing (a CLI ``--dry-run``).
    """
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            if dry_run:
                db.session.rollback()
            else:
                db.session.commit()
            return result
        except ServiceError as refusal:
            if refusal.keep and not dry_run:
                db.session.commit()
            else:
                db.session.rollback()
            raise
        except (StaleDataError, IntegrityError, OperationalError) as exc:
            db.session.rollback()
            if not _retryable(exc) or attempt == attempts:
                if isinstance(exc, StaleDataError):
                    raise Conflict("该党员的信息正在被他人处理，请刷新后重试") from exc
                raise
        except BaseException:
            db.session.rollback()
            raise
    raise AssertionError("unreachable")


def run_batches(steps: Iterable[T]) -> Iterator[T]:
    """Commit after each step a long job yields; on an error roll back the open batch."""
    try:
        for step in steps:
            db.session.commit()
            yield step
    except BaseException:
        db.session.rollback()
        raise


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, (StaleDataError, IntegrityError)):
        return True
    code = getattr(getattr(exc, "orig", None), "args", [None])[0]
    return code in _RETRYABLE_MYSQL or "database is locked" in str(exc)
