"""The dispatcher: claim due outbox rows, send them outside any transaction, record the outcomes.

Delivery is at-least-once, and the window is exactly this: a worker that dies after a
provider call started but before its answer was committed leaves the row ``sending`` with
``started_at`` set; when the lease runs out another worker takes it again. Each sender thread
commits its calls' starts and answers as they happen (``service.notify.send_progress``), so
that window holds at most one row per thread, not the whole claimed batch: a row whose
answer was kept is recorded as sent without a second call, a row never started is sent once.
Every send carries the outbox id as the provider's correlation id (Aliyun OutId, Tencent
SessionContext). Before sending a row again whose earlier call started (``started_at``), the
dispatcher asks the provider when the channel can tell (``service.notify.reconcile``: Aliyun
QuerySendDetails); where it cannot (Tencent, WeChat) the member may get the same card twice
(same text, link and code: harmless). Only rows whose call was under way at the crash can be
sent twice, and the "sent" evidence entry is written once per row whatever happens (the
guarded UPDATE in ``outbox.mark_sent_many``).

Per batch: one claim commit; members and cards loaded in one query each; the sends, on a
small thread pool (``NOTIFY_SEND_CONCURRENCY``) because real providers take 50-200 ms to
answer; then one commit recording every outcome, the "sent" entries appended in bulk.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from service.clock import now_utc
from service.extensions import db
from service.models import CampaignMember, OutboxMessage
from service.models.campaign import SETTLED_STATES
from service.models.outbox import CARD, NOTICE, OTP, REMINDER, SENDING
from service.notify import outbox, router
from service.notify.channel import (
    Channel,
    Deferred,
    NotReachable,
    Outgoing,
    PermanentFailure,
    SendError,
    SendResult,
    TokenExpired,
)
from service.notify.messages import compose_many
from service.notify.reconcile import Lookup, lookup_for
from service.notify.send_progress import Progress
from service.unit_of_work import run_unit

log = logging.getLogger(__name__)
TOKEN_RETRY_SECONDS = 60.0
DEFAULT_CONCURRENCY = 8  # a few sends in flight hide a provider's 50-200 ms answer time
# Rows claimed at a time: each batch costs a dozen statements and two commits whatever its
# size, so small batches spend a worker on the database; 100 sends still take only seconds.
DEFAULT_BATCH = 100
# A send starts only while this share of the lease (at most MAX_MARGIN_SECONDS) is left, so
# it is answered (NOTIFY_HTTP_TIMEOUT, 5 s) before another worker may take the row over.
LEASE_MARGIN = 0.25
MAX_MARGIN_SECONDS = 10.0


@dataclass
class Job:
    """One claimed row on its way out: the message, or why it cannot be built."""

    row_id: int
    attempts: int
    created_at: datetime
    send_by: datetime  # no send starts after this: the lease may pass to another worker
    member_id: int | None
    channel_name: str
    msg: Outgoing | None = None
    channel: Channel | None = None
    lookup: Lookup | None = None
    error: SendError | None = None  # set when composing failed: the row is dead
    token: str = ""  # the lease's claim token
    started: bool = False  # an earlier call started: it may have reached the provider
    accepted: SendResult | None = None  # an earlier call's kept answer: no call needed


# What happened to a job: "sent" (SendResult), "unsent" (stopping before the send), or the
# SendError the channel raised (its class decides retry, defer, fall back or dead).
Outcome = tuple[Job, SendResult | SendError | None]


def concurrency() -> int:
    """Return how many sends a worker keeps in flight (``NOTIFY_SEND_CONCURRENCY``)."""
    return max(1, int(current_app.config.get("NOTIFY_SEND_CONCURRENCY", DEFAULT_CONCURRENCY)))


def drain(
    worker_id: str, *, batch: int = DEFAULT_BATCH, once: bool = False, idle_sleep: float = 1.0,
    should_stop: Callable[[], bool] = lambda: False, workers: int | None = None,
) -> Counter[str]:
    """Send due messages until none are left (``once``) or ``should_stop`` says so.

    Pipelined, one commit per batch: while batch k is with the providers, the worker
    records batch k-1's outcomes and claims batch k+1 in one transaction, then composes
    k+1; so database work overlaps the providers' answers. At most two batches are leased
    to a worker at a time; a crash before a batch's record commit leaves it leased to the
    dead worker: those rows are the ones that may go out twice (or be found by a lookup).
    Return how many rows ended in each outcome.
    """
    outcomes: Counter[str] = Counter()
    submit = _sender(workers or concurrency())
    flying: Flight | None = None
    queued: Batch | None = None
    while True:
        landed = flying
        done = [o for f in flying.futures for o in f.result()] if flying else []
        flying = None
        if queued is not None and not should_stop():
            flying, queued = Flight(queued.lease, submit(queued.jobs, should_stop)), None
        wanted = batch if queued is None and not should_stop() else 0
        labels, lease = run_unit(partial(_record_and_claim, landed, done, wanted, worker_id))
        outcomes.update(labels)
        if lease is not None and lease.ids:
            queued = Batch(lease, prepare(lease))
            db.session.rollback()  # hold no transaction (or lock) while providers answer
        if queued is not None and should_stop():  # claimed but never sent: give it back
            lease, queued = queued.lease, None
            outcomes["released"] += run_unit(partial(outbox.release, lease.ids, lease.token))
        if flying is None and queued is None and landed is None:
            if once or should_stop():
                return outcomes
            time.sleep(idle_sleep)


@dataclass
class Batch:
    """A claimed batch, composed and ready to send."""

    lease: outbox.Claim
    jobs: list[Job]


@dataclass
class Flight:
    """A batch whose sends are under way."""

    lease: outbox.Claim
    futures: list[Future[list[Outcome]]]


def _record_and_claim(landed: Flight | None, done: list[Outcome], wanted: int,
                      worker_id: str) -> tuple[list[str], outbox.Claim | None]:
    labels = record(landed.lease.token, done) if landed is not None else []
    return labels, outbox.claim_batch(wanted, worker_id) if wanted else None


class Withdrawn(SendError):
    """Not worth sending any more: the member answered since the reminder was queued."""


def prepare(lease: outbox.Claim) -> list[Job]:
    """Load and compose the rows the lease still holds: one query each for rows, members, cards."""
    rows = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.idempotency_key, OutboxMessage.kind,
               OutboxMessage.channel, OutboxMessage.member_id, OutboxMessage.card_id,
               OutboxMessage.campaign_member_id, OutboxMessage.payload,
               OutboxMessage.attempts, OutboxMessage.created_at, OutboxMessage.started_at,
               OutboxMessage.sent_at, OutboxMessage.provider_msg_id)
        .where(OutboxMessage.id.in_(lease.ids), OutboxMessage.state == SENDING,
               OutboxMessage.claimed_by == lease.token)
        .order_by(OutboxMessage.id)).all()
    messages = compose_many(rows)
    stale = _stale_reminders(rows)
    seconds = float(outbox.setting("NOTIFY_LEASE_SECONDS"))
    send_by = lease.until - timedelta(seconds=min(LEASE_MARGIN * seconds, MAX_MARGIN_SECONDS))
    jobs = []
    for row in rows:
        job = Job(row.id, row.attempts, row.created_at, send_by, row.member_id, row.channel,
                  token=lease.token, started=row.started_at is not None)
        if row.sent_at is not None:  # the provider took it; its worker died before recording
            job.accepted = SendResult(row.provider_msg_id, {"kept": True})
        built = messages[row.id]
        if row.id in stale:
            job.error = Withdrawn("党员已答复，无需再提醒")
            jobs.append(job)
            continue
        try:
            if not isinstance(built, Outgoing):
                raise built
            job.msg, job.channel = built, router.channel(row.channel)
            job.lookup = lookup_for(job.channel)
        except (LookupError, ValueError) as exc:
            job.error = PermanentFailure(f"无法组成消息：{exc}")
        jobs.append(job)
    return jobs


def _stale_reminders(rows: list[Any]) -> set[int]:
    """Return the reminder rows whose card is settled or replaced (the scheduler queued them
    moments before the member answered): reminding now would only confuse the member."""
    wanted = {r.campaign_member_id: r for r in rows
              if r.kind == REMINDER and r.campaign_member_id is not None}
    if not wanted:
        return set()
    current = db.session.execute(
        select(CampaignMember.id, CampaignMember.state, CampaignMember.card_id)
        .where(CampaignMember.id.in_(wanted))).all()
    return {wanted[cm.id].id for cm in current
            if cm.state in SETTLED_STATES or cm.card_id != wanted[cm.id].card_id}


def send_one(job: Job, should_stop: Callable[[], bool],
             progress: Progress | None = None) -> Outcome:
    """Send one job; return its outcome. ``progress`` commits the call's start and answer."""
    if job.error is not None:
        return job, job.error
    if job.accepted is not None:
        return job, job.accepted
    if should_stop() or now_utc() >= job.send_by:
        return job, None  # given back unsent (a lease run out may already be another's)
    assert job.msg is not None and job.channel is not None
    try:
        if job.started and job.lookup is not None:
            found = _look_up(job)
            if found is not None:
                return job, found
        if progress is not None and not progress.start(job.row_id):
            return job, None  # the lease is another worker's now
        result = send(job.channel, job.msg)
        if progress is not None:
            progress.accepted(job.row_id, result)
        return job, result
    except SendError as exc:
        return job, exc
    except OSError as exc:  # a channel that let a network error through: transient
        log.warning("outbox %s: %s", job.row_id, type(exc).__name__)
        return job, SendError(f"网络错误：{type(exc).__name__}")


def _look_up(job: Job) -> SendResult | None:
    assert job.lookup is not None and job.msg is not None
    try:
        found = job.lookup(job.msg, job.created_at)
    except (SendError, OSError) as exc:  # cannot tell: send again rather than lose it
        log.warning("outbox %s: lookup failed (%s)", job.row_id, type(exc).__name__)
        return None
    if found is None:
        return None
    return SendResult(found.provider_msg_id, {**found.raw, "reconciled": True})


def record(token: str, done: list[Outcome]) -> list[str]:
    """Write a batch's outcomes in the caller's transaction; return one label per row."""
    sent = [(job.row_id, result) for job, result in done if isinstance(result, SendResult)]
    moved = set(outbox.mark_sent_many(sent))
    labels = ["sent" if row_id in moved else "skipped" for row_id, _ in sent]
    unsent = [job.row_id for job, result in done if result is None]
    outbox.release(unsent, token)
    labels += ["released"] * len(unsent)
    for job, result in done:
        if isinstance(result, SendError):
            labels.append(_failed(job, token, result))
    return labels


def _failed(job: Job, token: str, exc: SendError) -> str:
    if isinstance(exc, Withdrawn):
        return outbox.mark_cancelled(job.row_id, token, exc)
    if isinstance(exc, NotReachable):
        nxt = router.next_channel(job.member_id, job.channel_name)
        if nxt is None:
            return outbox.mark_dead(job.row_id, token, exc)
        return "fell_back" if outbox.fall_back(job.row_id, token, exc, nxt) else "gone"
    if isinstance(exc, Deferred):
        return outbox.mark_retry(job.row_id, token, exc, retry_after=exc.retry_after,
                                 count_attempt=False)
    if isinstance(exc, TokenExpired):  # the channel already refreshed once and retried once
        return outbox.mark_retry(job.row_id, token, exc, retry_after=TOKEN_RETRY_SECONDS)
    if isinstance(exc, PermanentFailure):
        return outbox.mark_dead(job.row_id, token, exc)
    return outbox.mark_retry(job.row_id, token, exc)


Submit = Callable[[list[Job], Callable[[], bool]], list["Future[list[Outcome]]"]]
_executors: dict[int, ThreadPoolExecutor] = {}
_executors_lock = threading.Lock()


def _sender(width: int) -> Submit:
    # One pool per width for the life of the process: its threads keep their provider
    # connections alive between batches and between drains (see service.notify.transport).
    with _executors_lock:
        executor = _executors.get(width)
        if executor is None:
            executor = _executors[width] = ThreadPoolExecutor(
                width, thread_name_prefix="outbox-send")
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]

    def in_context(jobs: list[Job], should_stop: Callable[[], bool]) -> list[Outcome]:
        with app.app_context():  # a channel may read settings or its token store
            progress = Progress(jobs[0].token)
            try:
                return [send_one(job, should_stop, progress) for job in jobs]
            finally:
                progress.flush()

    def submit(jobs: list[Job], should_stop: Callable[[], bool]) -> list[Future[list[Outcome]]]:
        # One task per thread, each a share of the batch in turn: ``width`` sends in flight.
        return [executor.submit(in_context, jobs[i::width], should_stop)
                for i in range(min(width, len(jobs)))]

    return submit


def send(channel: Channel, msg: Outgoing) -> SendResult:
    """Call the channel method for the message's kind."""
    if msg.kind == CARD:
        return channel.send_card(msg)
    if msg.kind == REMINDER:
        return channel.send_reminder(msg)
    if msg.kind == NOTICE:
        return channel.send_notice(msg)
    if msg.kind == OTP:  # one-time codes go out on SMS (or the demo console) only
        send_otp = getattr(channel, "send_otp", None)
        if send_otp is None:
            raise NotReachable("该渠道不发送短信验证码", code="unsupported")
        return send_otp(msg)
    raise PermanentFailure(f"未知的消息类型“{msg.kind}”")
