"""What admins do with the outbox: counts per channel and state, dead letters, requeueing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import func, select, update

from service import audit
from service.clock import now_utc
from service.extensions import db
from service.models import OutboxMessage
from service.models.outbox import DEAD, PENDING


def counts() -> dict[str, Counter[str]]:
    """Return, per channel, how many messages are in each state."""
    out: dict[str, Counter[str]] = {}
    for channel, state, n in db.session.execute(
        select(OutboxMessage.channel, OutboxMessage.state, func.count())
        .group_by(OutboxMessage.channel, OutboxMessage.state)
    ):
        out.setdefault(channel, Counter())[state] = n
    return out


def retry_dead(row_ids: Sequence[int] | None, *, actor: str) -> list[int]:
    """Queue dead messages again after an admin fixed the cause; return the ids requeued.

    Only rows still ``dead`` move (running it twice requeues nothing twice), each audited.
    ``attempts`` restarts at 1, not 0: the first new claim counts as a retry, so where the
    channel can tell, the provider is asked first whether an earlier try got through.
    """
    query = select(OutboxMessage).where(OutboxMessage.state == DEAD).order_by(OutboxMessage.id)
    if row_ids is not None:
        query = query.where(OutboxMessage.id.in_(row_ids))
    requeued = []
    now = now_utc()
    for row in db.session.scalars(query).all():
        moved = db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row.id, OutboxMessage.state == DEAD)
            .values(state=PENDING, attempts=1, next_attempt_at=now, claimed_by=None,
                    claimed_until=None, updated_at=now)
            .execution_options(synchronize_session=False))
        if moved.rowcount:
            audit.record("outbox.retry_dead", actor=actor, target_type="outbox_message",
                         target_id=row.id, channel=row.channel, kind=row.kind,
                         member_id=row.member_id, last_error=row.last_error)
            requeued.append(row.id)
    return requeued


def dead_letters(limit: int) -> list[OutboxMessage]:
    """Return the oldest dead messages, up to ``limit``."""
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.state == DEAD)
                                   .order_by(OutboxMessage.id).limit(limit)))
