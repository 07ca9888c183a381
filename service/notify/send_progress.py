"""Each provider call's start and answer, committed as it happens, so a crash resends little.

A worker leases a batch, but a crash must not make the whole batch "maybe sent". A sender
thread commits, in one tiny transaction per call, the answer to its previous call (the
provider accepted it: ``sent_at`` and the provider id, the row still ``sending``) together
with the start of its next call (``started_at``). So when a worker dies, each of its threads
holds at most one row whose call started and whose answer is unknown: only those may go out
twice (``NOTIFY_SEND_CONCURRENCY`` per kill). Rows whose answer was kept are recorded as sent
without a second call, and rows never started are sent once. The batch's own record commit
(``dispatch.record``) still moves rows to ``sent`` and writes their one "sent" entry.
"""

from __future__ import annotations

import logging
from functools import partial

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from service.clock import now_utc
from service.extensions import db
from service.models import OutboxMessage
from service.models.outbox import SENDING
from service.notify.channel import SendResult
from service.unit_of_work import run_unit

log = logging.getLogger(__name__)
Answer = tuple[int, SendResult]


def note_started(row_id: int, token: str) -> bool:
    """Stamp the row's call as started; False if this worker no longer holds its lease."""
    now = now_utc()
    return bool(db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id, OutboxMessage.state == SENDING,
                                    OutboxMessage.claimed_by == token)
        .values(started_at=now, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount)


def note_accepted(row_id: int, result: SendResult) -> None:
    """Keep the provider's acceptance on a row still ``sending`` (its record comes later)."""
    now = now_utc()
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id, OutboxMessage.state == SENDING)
        .values(sent_at=now, provider_msg_id=result.provider_msg_id, updated_at=now)
        .execution_options(synchronize_session=False))


class Progress:
    """One sender thread's calls: a commit before each, carrying the previous one's answer."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.answer: Answer | None = None

    def start(self, row_id: int) -> bool:
        """Commit the last answer and this row's start; False: do not call (lease lost)."""
        answer, self.answer = self.answer, None
        try:
            return run_unit(partial(_answer_and_start, answer, row_id, self.token))
        except SQLAlchemyError as exc:  # cannot promise the start: give the row back unsent
            log.warning("outbox %s: start not recorded (%s)", row_id, type(exc).__name__)
            return False

    def accepted(self, row_id: int, result: SendResult) -> None:
        """Remember the provider's acceptance until the next start (or ``flush``)."""
        self.answer = (row_id, result)

    def flush(self) -> None:
        """Commit the last answer: the thread's share is done."""
        answer, self.answer = self.answer, None
        if answer is None:
            return
        try:
            run_unit(partial(note_accepted, *answer))
        except SQLAlchemyError as exc:  # the batch record commit writes it anyway
            log.warning("outbox %s: answer not kept (%s)", answer[0], type(exc).__name__)


def _answer_and_start(answer: Answer | None, row_id: int, token: str) -> bool:
    if answer is not None:
        note_accepted(*answer)
    return note_started(row_id, token)
