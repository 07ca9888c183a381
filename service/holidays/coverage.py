"""Whether a campaign's working-day window reaches years no holiday source knows, and the Chinese
notice that `campaign start`, `campaign status` and the dashboard show then."""

from __future__ import annotations

from datetime import date

from service.campaign.reminders import policy_or_default
from service.campaign.workdays import add_workdays, unknown_years
from service.clock import to_local
from service.models import Campaign


def campaign_window(campaign: Campaign) -> tuple[date, date]:
    """Return the first and last day the campaign counts working days on.

    From the day it started to the deadline, or later where the policy reaches past it: the
    last reminder step after a card issued on the first day, and the last correction reminder
    for a dispute filed on the deadline.
    """
    start = to_local(campaign.created_at).date() if campaign.created_at else campaign.deadline
    start = min(start, campaign.deadline)
    policy = policy_or_default(campaign.reminder_policy)
    end = max(campaign.deadline,
              add_workdays(start, max(policy["reminder_days"])),
              add_workdays(campaign.deadline, max(policy["correction_days"])))
    return start, end


def campaign_unknown_years(campaign: Campaign) -> list[int]:
    """Return the years in the campaign's window that neither holiday source knows."""
    return unknown_years(*campaign_window(campaign))


def notice(years: list[int]) -> str | None:
    """Return the Chinese notice for a window reaching ``years`` unknown, or None if none."""
    if not years:
        return None
    named = "、".join(str(y) for y in years)
    which = "当年" if len(years) == 1 else "这些年份的"
    return (f"本次工作期限内有 {named} 年的节假日安排尚未导入（chinesecalendar 也不含），"
            "提醒与期限将暂按周一至周五计算。"
            f"请用 flask calendar import 文件 导入{which}放假安排，或在「节假日」页面上传。")


def campaign_notice(campaign: Campaign) -> str | None:
    """Return the notice for the campaign, or None when every day of its window is known."""
    return notice(campaign_unknown_years(campaign))
