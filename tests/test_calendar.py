"""Holidays kept in the database: `flask calendar import|show`, imported days over the package,
and the notice campaign start/status give when a campaign reaches a year nobody knows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from service.campaign.workdays import add_workdays, is_workday, unknown_years, workdays_between
from service.extensions import db
from service.models import AuditLog, CalendarDay
from testkit.workflow import committee
from tests.reminder_helpers import controlled_clock
from tests.test_holiday_files import xlsx

ROOT = "中共测试工作流委员会"
# An invented arrangement for a year no chinesecalendar release knows.
SPRING_2031 = ("# 2031 年春节\n"
               "2031-01-18 上班 春节调休\n"
               + "".join(f"2031-01-{d} 放假 春节\n" for d in range(22, 29)))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def stored(app: Flask) -> dict[date, tuple[str, str]]:
    with app.app_context():
        return {d.day: (d.kind, d.name) for d in db.session.scalars(select(CalendarDay))}


def test_import_writes_every_day_audits_and_replaces_a_day_imported_again(
        app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["calendar", "import", str(write(tmp_path, "2031.txt",
                                                                 SPRING_2031))])
    assert result.exit_code == 0, result.output
    assert "已导入 2031 年的节假日安排：新增 8 天" in result.output
    days = stored(app)
    assert len(days) == 8
    assert days[date(2031, 1, 18)] == ("work", "春节调休")
    assert days[date(2031, 1, 22)] == ("off", "春节")

    again = write(tmp_path, "fix.txt", "2031-01-22 放假 除夕\n2031-01-23 放假 春节\n")
    result = runner.invoke(args=["calendar", "import", str(again)])
    assert result.exit_code == 0, result.output
    assert "新增 0 天，更新 1 天，未变 1 天" in result.output
    assert stored(app)[date(2031, 1, 22)] == ("off", "除夕")
    with app.app_context():
        entries = list(db.session.scalars(select(AuditLog).where(
            AuditLog.action == "calendar.import").order_by(AuditLog.id)))
        assert [e.actor for e in entries] == ["cli", "cli"]
        assert entries[0].detail["source"] == "2031.txt"
        assert entries[0].detail["years"] == [2031] and entries[0].detail["added"] == 8
        row = db.session.scalar(select(CalendarDay).where(CalendarDay.day == date(2031, 1, 22)))
        assert row is not None and row.source == "fix.txt" and row.imported_by == "cli"


def test_a_bad_line_writes_nothing_and_exits_non_zero(
        app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "bad.txt", SPRING_2031 + "2031-01-29 放 春节\n")
    result = runner.invoke(args=["calendar", "import", str(path)])
    assert result.exit_code != 0
    assert "第 10 行 类型：“放”无法识别，应为 放假 或 上班" in result.output
    assert "未导入任何日期" in result.output
    assert stored(app) == {}
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditLog.id))) == 0


def test_import_from_xlsx(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "2031.xlsx"
    path.write_bytes(xlsx([["日期", "类型", "名称"], [date(2031, 1, 22), "放假", "春节"],
                           ["2031-01-18", "上班", "春节调休"]]))
    result = runner.invoke(args=["calendar", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert stored(app) == {date(2031, 1, 22): ("off", "春节"),
                           date(2031, 1, 18): ("work", "春节调休")}
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([["日期", "类型", "名称"], ["2031-02-01", "上班", ""]]))
    result = runner.invoke(args=["calendar", "import", str(bad)])
    assert result.exit_code != 0 and "第 2 行 名称：缺少名称" in result.output


def test_help_documents_the_format(runner: FlaskCliRunner) -> None:
    text = runner.invoke(args=["calendar", "import", "--help"]).output
    assert "2027-02-10 放假 春节" in text and "2027-02-07 上班 春节调休" in text
    assert "日期、类型、名称" in text and "#" in text


def test_imported_days_take_precedence_over_the_package(app: Flask) -> None:
    # National Day 2026 in the package: 10-01..10-07 off, Saturday 10-10 worked.
    assert not is_workday(date(2026, 10, 5)) and is_workday(date(2026, 11, 30))
    assert workdays_between(date(2026, 10, 1), date(2026, 10, 10)) == 3
    with app.app_context():
        db.session.add_all([
            CalendarDay(day=date(2026, 10, 5), kind="work", name="国庆节改上班", imported_by="t"),
            CalendarDay(day=date(2026, 11, 30), kind="off", name="地方假日", imported_by="t"),
        ])
        db.session.commit()
    with app.app_context():  # a new unit of work reads the imported days afresh
        assert is_workday(date(2026, 10, 5))
        assert not is_workday(date(2026, 11, 30))
        assert not is_workday(date(2026, 10, 6))  # the package still answers the rest
        assert add_workdays(date(2026, 11, 27), 1) == date(2026, 12, 1)  # Fri → skip Mon 30
        # 10-05 (imported), then 10-08, 10-09 and the make-up Saturday 10-10
        assert workdays_between(date(2026, 10, 1), date(2026, 10, 10)) == 4


def test_an_import_is_seen_by_the_next_unit_of_work_and_by_its_own(
        app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    with app.app_context():
        assert is_workday(date(2031, 1, 22))  # a Wednesday of an unknown year
        assert unknown_years(date(2031, 1, 1), date(2031, 2, 1)) == [2031]
        # Another process imports meanwhile: this unit of work keeps what it read...
        db.session.add(CalendarDay(day=date(2031, 1, 23), kind="off", name="春节",
                                   imported_by="elsewhere"))
        db.session.commit()
        assert is_workday(date(2031, 1, 23))
        # ...but an import made by this unit of work is seen at once.
        runner.invoke(args=["calendar", "import", str(write(tmp_path, "a.txt", SPRING_2031))])
        assert not is_workday(date(2031, 1, 22))
    with app.app_context():
        assert not is_workday(date(2031, 1, 23))
        assert unknown_years(date(2031, 1, 1), date(2031, 2, 1)) == []


def test_add_workdays_skips_a_spring_festival_imported_for_an_unknown_year(
        app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    with app.app_context():  # Monday–Friday only: Spring Festival counted as working days
        assert add_workdays(date(2031, 1, 21), 1) == date(2031, 1, 22)
        assert add_workdays(date(2031, 1, 16), 2) == date(2031, 1, 20)
    runner.invoke(args=["calendar", "import", str(write(tmp_path, "a.txt", SPRING_2031))])
    with app.app_context():
        assert add_workdays(date(2031, 1, 21), 1) == date(2031, 1, 29)
        assert add_workdays(date(2031, 1, 16), 2) == date(2031, 1, 18)  # the make-up Saturday
        assert workdays_between(date(2031, 1, 21), date(2031, 1, 29)) == 1


def test_show_lists_the_year_with_sources_and_says_whether_it_is_known(
        app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    runner.invoke(args=["calendar", "import",
                        str(write(tmp_path, "a.txt", "2026-10-05 上班 国庆节改上班\n"))])
    text = runner.invoke(args=["calendar", "show", "2026"]).output
    lines = text.splitlines()
    assert any("2026-10-01" in x and "放假" in x and "国庆节" in x and "chinesecalendar" in x
               for x in lines)
    assert any("2026-10-10" in x and "上班" in x and "chinesecalendar" in x for x in lines)
    assert any("2026-10-05" in x and "上班" in x and "导入" in x and "国庆节改上班" in x
               for x in lines)
    assert "2026 年的节假日安排已知" in lines[-1]

    text = runner.invoke(args=["calendar", "show", "2031"]).output
    assert "2031 年的节假日安排尚未导入（chinesecalendar 也不含）" in text
    assert "flask calendar import" in text
    runner.invoke(args=["calendar", "import", str(write(tmp_path, "b.txt", SPRING_2031))])
    lines = runner.invoke(args=["calendar", "show", "2031"]).output.splitlines()
    assert sum("导入" in x for x in lines[:-1]) == 8
    assert lines[-1] == "2031 年的节假日安排已导入（chinesecalendar 不含该年）。"


def test_campaign_start_and_status_name_a_year_nobody_knows_until_it_is_imported(
        app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    with app.app_context():
        committee()
    with controlled_clock("2031-03-03 09:00"):
        result = runner.invoke(args=["campaign", "start", "--org", ROOT,
                                     "--deadline", "2031-03-20"])
        assert result.exit_code == 0, result.output
        assert "已启动信息确认工作" in result.stdout
        assert "本次工作期限内有 2031 年的节假日安排尚未导入" in result.stderr
        assert "flask calendar import" in result.stderr and "「节假日」页面" in result.stderr
        status = runner.invoke(args=["campaign", "status"])
        assert "2031 年的节假日安排尚未导入" in status.stderr
        policy = runner.invoke(args=["reminders", "policy", "show"])
        assert "2031 年的节假日安排尚未导入" in policy.stderr
        runner.invoke(args=["calendar", "import", str(write(tmp_path, "a.txt", SPRING_2031))])
        status = runner.invoke(args=["campaign", "status"])
        assert status.exit_code == 0 and "合计" in status.stdout
        assert status.stderr == ""
        assert runner.invoke(args=["reminders", "policy", "show"]).stderr == ""


def test_a_window_the_package_knows_gives_no_notice_and_the_scheduler_never_warns(
        app: Flask, runner: FlaskCliRunner) -> None:
    with app.app_context():
        committee()
    with controlled_clock("2026-03-02 09:00"):
        result = runner.invoke(args=["campaign", "start", "--org", ROOT,
                                     "--deadline", "2026-03-20"])
        assert result.exit_code == 0, result.output
        assert result.stderr == ""
    # The scheduler used to warn about next year on every tick, campaign or not.
    with controlled_clock("2031-03-03 09:00"):
        tick = runner.invoke(args=["scheduler", "tick"])
    assert tick.exit_code == 0, tick.output
    assert "节假日" not in tick.output and "chinesecalendar" not in tick.output


def test_the_window_reaches_the_correction_reminders_after_the_deadline(
        app: Flask, runner: FlaskCliRunner) -> None:
    with app.app_context():
        committee()
    # Deadline 2026-12-18; the last correction reminder is 13 working days later, in 2027.
    with controlled_clock("2026-12-01 09:00"):
        result = runner.invoke(args=["campaign", "start", "--org", ROOT,
                                     "--deadline", "2026-12-18"])
    assert result.exit_code == 0, result.output
    assert "2027 年的节假日安排尚未导入" in result.stderr
