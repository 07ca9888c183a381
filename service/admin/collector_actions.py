"""The collector's use cases behind the pages: a proxy confirmation with its uploads, files
added to it later, closing call tasks; plain functions, run in the view's one unit of work."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from service.admin.auth import Requester
from service.campaign import workflow
from service.clock import now_utc
from service.errors import ServiceError
from service.evidence import ledger, proxy_record
from service.evidence.attachments import store_attachment
from service.extensions import db
from service.models import CallTask
from service.models.call_task import DONE
from service.models.call_task import OPEN as TASK_OPEN
from service.models.evidence import EvidenceEntry


def proxy_confirm(
    campaign_id: int, member_id: int, campaign_member_id: int,
    uploads: list[tuple[str, bytes]], *, actor: str, collector_name: str, method: str,
    confirmed_on: date, note: str | None, reason: str,
    contact: proxy_record.Contact | None = None,
) -> EvidenceEntry:
    """Store the uploaded evidence, record the proxy confirmation and close the member's calls."""
    attachments = [store_attachment(name, data, uploaded_by=actor) for name, data in uploads]
    entry = workflow.proxy_confirm(
        campaign_id, member_id, actor=actor, collector_name=collector_name, method=method,
        confirmed_on=confirmed_on, note=note, reason=reason, attachments=attachments,
        contact=contact)
    _close_tasks(campaign_member_id, actor, "已代为确认")
    return entry


def add_attachments(entry_id: int, uploads: list[tuple[str, bytes]], who: Requester) -> None:
    """Store files and append them to the ledger as kept for a proxy confirmation, audited."""
    attachments = [store_attachment(name, data, uploaded_by=who.actor) for name, data in uploads]
    added = proxy_record.add_attachments(entry_id, attachments, actor=who.actor)
    who.audit("evidence.add_attachments", target_type="evidence_entry", target_id=entry_id,
              added=added.evidence_id, files=len(attachments))


def confirmations_of(member_id: int) -> list[tuple[EvidenceEntry, list[str]]]:
    """Return the member's proxy confirmations, newest first, with what each keeps."""
    entries = ledger.entries_for(member_id, ledger.PROXY_CONFIRMED)
    return [(e, proxy_record.kept_labels(e)) for e in reversed(entries)]


def close_call_task(task_id: int, outcome: str, who: Requester) -> None:
    """Close an open call task with what came of the call, audited."""
    if not outcome:
        raise ServiceError("请填写联系结果")
    task = db.session.get(CallTask, task_id)
    if task is None or task.status != TASK_OPEN:
        raise ServiceError("该电话联系任务已处理")
    _finish(task, who.actor, outcome)
    who.audit("call_task.done", target_type="call_task", target_id=task.id)


def _close_tasks(campaign_member_id: int, actor: str, outcome: str) -> None:
    for task in db.session.scalars(select(CallTask).where(
            CallTask.campaign_member_id == campaign_member_id, CallTask.status == TASK_OPEN)):
        _finish(task, actor, outcome)


def _finish(task: CallTask, actor: str, outcome: str) -> None:
    task.status, task.outcome, task.done_by, task.done_at = DONE, outcome, actor, now_utc()
