"""Imported holidays: saving a file's days (upsert by day, audited) and listing a year from both
sources. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import chinese_calendar
from sqlalchemy import select

from service import audit
from service.campaign import workdays
from service.extensions import db
from service.holidays.files import DayLine
from service.models.calendar_day import KIND_LABELS, OFF, WORK, CalendarDay

IMPORTED, PACKAGE = "导入", "chinesecalendar"
_CHINESE = {h.value: h.chinese for h in chinese_calendar.Holiday}


@dataclass(frozen=True)
class ImportResult:
    """What an import changed."""

    added: int
    replaced: int
    unchanged: int
    years: list[int]

    def summary(self) -> str:
        """Return a Chinese one-line summary."""
        years = "、".join(str(y) for y in self.years)
        return (f"已导入 {years} 年的节假日安排：新增 {self.added} 天，更新 {self.replaced} 天，"
                f"未变 {self.unchanged} 天。")


def import_days(days: list[DayLine], *, actor: str, source: str | None,
                ip: str | None = None, user_agent: str | None = None) -> ImportResult:
    """Save the days, replacing any imported before for the same date, and audit the import."""
    existing = {row.day: row for row in db.session.scalars(
        select(CalendarDay).where(CalendarDay.day.in_([d.day for d in days])))}
    added = replaced = unchanged = 0
    for line in days:
        row = existing.get(line.day)
        if row is None:
            db.session.add(CalendarDay(day=line.day, kind=line.kind, name=line.name,
                                       source=source, imported_by=actor))
            added += 1
        elif (row.kind, row.name) == (line.kind, line.name):
            unchanged += 1
        else:
            row.kind, row.name, row.source, row.imported_by = line.kind, line.name, source, actor
            replaced += 1
    db.session.flush()
    workdays.forget()
    years = sorted({d.day.year for d in days})
    audit.record("calendar.import", actor=actor, target_type="calendar", ip=ip,
                 user_agent=user_agent, source=source, years=years, days=len(days),
                 added=added, replaced=replaced, unchanged=unchanged)
    return ImportResult(added, replaced, unchanged, years)


@dataclass(frozen=True)
class YearDay:
    """A day off or a make-up working day of a year, and which source says so."""

    day: date
    kind: str  # OFF or WORK
    name: str
    source: str  # IMPORTED or PACKAGE

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


def year_days(year: int) -> list[YearDay]:
    """Return the year's 放假 and 上班 days by date: imported ones over the package's."""
    days: dict[date, YearDay] = {}
    if workdays.package_knows(year):
        for table, kind in ((chinese_calendar.holidays, OFF), (chinese_calendar.workdays, WORK)):
            for day, name in table.items():
                if day.year == year:
                    label = _CHINESE.get(name, name) + ("调休" if kind == WORK else "")
                    days[day] = YearDay(day, kind, label, PACKAGE)
    for row in db.session.scalars(select(CalendarDay).where(
            CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))):
        days[row.day] = YearDay(row.day, row.kind, row.name, IMPORTED)
    return [days[d] for d in sorted(days)]


def year_statement(year: int) -> str:
    """Return a Chinese line saying whether the year's arrangement is known, and from where."""
    imported = year in workdays.imported().years
    if imported and workdays.package_knows(year):
        return f"{year} 年的节假日安排已知：已导入的日期优先，其余按 chinesecalendar。"
    if imported:
        return f"{year} 年的节假日安排已导入（chinesecalendar 不含该年）。"
    if workdays.package_knows(year):
        return f"{year} 年的节假日安排由 chinesecalendar 提供，全年已知。"
    return (f"{year} 年的节假日安排尚未导入（chinesecalendar 也不含），该年暂按周一至周五计算"
            "工作日。请用 flask calendar import 文件 导入当年放假安排，或在「节假日」页面上传。")
