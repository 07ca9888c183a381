"""For the edges (CLI, views, workers): run a workflow unit in one transaction, retrying races.

The use cases never commit. Two racing transitions on one member meet at the optimistic lock
on ``campaign_members.revision`` (StaleDataError) or at a unique index of the ledger
(IntegrityError); the loser is rolled back and run again from scratch, and then sees the
winner's state (a repeated confirmation returns the first one's evidence).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from service.campaign.states import StaleCard
from service.errors import Conflict
from service.extensions import db

T = TypeVar("T")
ATTEMPTS = 5
_RETRYABLE_MYSQL = {1205, 1213}  # lock wait timeout, deadlock


def run_unit(work: Callable[[], T], *, attempts: int = ATTEMPTS) -> T:
    """Call ``work`` and commit; on a lost race roll back and call it again."""
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            db.session.commit()
            return result
        except StaleCard as refusal:
            if refusal.keep:  # the refusal issued the new card: keep it, then refuse
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


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, (StaleDataError, IntegrityError)):
        return True
    code = getattr(getattr(exc, "orig", None), "args", [None])[0]
    return code in _RETRYABLE_MYSQL or "database is locked" in str(exc)
