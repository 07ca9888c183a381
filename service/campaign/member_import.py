"""A 附件4 import during a campaign: the roster's write, then the campaign's follow-up.

A member whose record the import changed is re-asked (a card already put to them no longer
shows their record), and a new member joins every open campaign covering their branch. The
roster layer writes the members and knows nothing of campaigns; callers (the CLI, the admin
import job) import through here. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable

from service.campaign.campaigns import enrol_new_members
from service.campaign.workflow import record_changed
from service.roster import importing
from service.roster.importing import ImportResult, check_members, renames_refusal

__all__ = ["ImportResult", "check_members", "renames_refusal", "write_members"]


def write_members(pending: list[importing.Pending], filename: str, result: ImportResult,
                  progress: Callable[[int], None] | None = None) -> None:
    """Write the checked rows (service.roster.importing), re-asking changed members and
    enrolling new ones in the open campaigns."""
    importing.write_members(
        pending, filename, result, progress,
        on_created=lambda ids: enrol_new_members(ids, actor=importing.ACTOR),
        on_updated=lambda member_id: record_changed(member_id, actor=importing.ACTOR))
