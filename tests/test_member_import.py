"""`flask members import`: real-world 附件4 sheets, errors by row and column, all-or-nothing,
--skip-invalid, --dry-run, --errors-out, re-import with versions, and 重复采集."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import func, select

from service.clock import today_local
from service.extensions import db
from service.models import Member, MemberVersion
from service.records.error_report import ERROR_FILL, REASON_HEADER
from service.roster.members import find_by_id_number, member_record
from testkit.factories import make_org, synthetic_id
from tests.xlsx_helpers import (
    BRANCH_A,
    BRANCH_B,
    COMMITTEE,
    LABELS,
    person,
    tricky,
    write_member_roster,
)


@pytest.fixture
def tree(app: Flask) -> None:
    with app.app_context():
        committee = make_org(name=COMMITTEE)
        make_org(committee, name=BRANCH_A)
        make_org(committee, name="中共测试县林业局（营林站）支部委员会")
        make_org(committee, name="中共测试县林业局第三支部委员会")
        db.session.commit()


def _count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Member.id))) or 0


def _import(runner: Any, path: Path, *args: str) -> Any:
    return runner.invoke(args=["members", "import", str(path), *args])


def later() -> date:
    """Return a campaign deadline a month from today."""
    return today_local() + timedelta(days=30)


def test_tricky_but_valid_rows_import_as_canonical_records(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    row = tricky(7)
    path = write_member_roster(tmp_path / "r.xlsx", [person(1), row])
    result = _import(runner, path)
    assert result.exit_code == 0, result.output
    assert "新增 2 人，更新 0 人，未变 0 人，错误 0 行" in result.output
    with app.app_context():
        id18 = synthetic_id(__import__("datetime").date(1968, 11, 3), 7, region="430523",
                            male=False)
        rec = member_record(find_by_id_number(id18))
    assert rec["name"] == "李晓红"
    assert rec["branch"] == BRANCH_B
    assert (rec["ethnicity"], rec["education"], rec["job"]) == ("01", "21", "011")
    assert str(rec["birth_date"]) == "1968-11-03"
    assert str(rec["joined_on"]) == "1995-06-30" and str(rec["full_on"]) == "1996-06-30"
    assert rec["mobile"] == "13900000007" and rec["landline"] == "0739-6821234"
    assert rec["is_floating"] is True and rec["flow_to"] == "330106"


def test_columns_are_found_by_name_in_any_order(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    order = [0, 3, 1, 2] + list(range(4, len(LABELS)))[::-1]
    path = write_member_roster(tmp_path / "r.xlsx", [person(1), person(2)], order=order)
    result = _import(runner, path)
    assert result.exit_code == 0, result.output
    with app.app_context():
        names = set(db.session.scalars(select(Member.name)))
    assert names == {"测试员1", "测试员2"}


def test_an_invalid_row_blocks_the_whole_import_and_names_row_and_column(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    bad = person(2)
    id_number = bad["公民身份证号"]
    bad["公民身份证号"] = id_number[:-1] + ("0" if id_number[-1] != "0" else "1")
    unknown = person(3)
    unknown["所在党支部"] = "中共不存在的支部委员会"
    path = write_member_roster(tmp_path / "r.xlsx", [person(1), bad, unknown])
    result = _import(runner, path)
    assert result.exit_code != 0
    assert "第7行 D列（公民身份证号）：公民身份证号校验码错误" in result.output
    assert "第8行 C列（所在党支部）" in result.output and "不存在" in result.output
    assert bad["公民身份证号"] not in result.output  # numbers are masked
    assert "错误 2 行" in result.output and "未导入任何数据" in result.output
    assert _count(app) == 0


def test_skip_invalid_imports_only_the_valid_rows(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    bad = person(2)
    bad["出生日期"] = "1975-13-40"
    path = write_member_roster(tmp_path / "r.xlsx", [person(1), bad, person(3)])
    result = _import(runner, path, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "新增 2 人" in result.output and "错误 1 行" in result.output
    assert "第7行 G列（出生日期）" in result.output
    assert _count(app) == 2


def test_dry_run_reports_but_writes_nothing(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    path = write_member_roster(tmp_path / "r.xlsx", [person(1)])
    result = _import(runner, path, "--dry-run")
    assert result.exit_code == 0 and "试运行" in result.output
    assert "新增 1 " in result.output or "新增党员 1 " in result.output, result.output
    assert _count(app) == 0


def test_errors_out_marks_bad_cells_and_adds_a_reason_column(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    bad = person(2)
    bad["学历"] = "大学问"
    path = write_member_roster(tmp_path / "r.xlsx", [person(1), bad])
    out = tmp_path / "errors.xlsx"
    result = _import(runner, path, "--errors-out", str(out))
    assert result.exit_code != 0
    ws = load_workbook(out).worksheets[0]
    reason_col = [c.column for c in ws[4] if c.value == REASON_HEADER]
    assert reason_col, "错误原因 column missing"
    assert ws.cell(7, 8).fill.start_color.rgb == ERROR_FILL.start_color.rgb
    assert "学历" in ws.cell(7, 8).comment.text
    assert "H列（学历）" in ws.cell(7, reason_col[0]).value
    assert ws.cell(6, reason_col[0]).value is None
    assert ws.cell(7, 2).value == "测试员2"  # a copy of the input otherwise
    assert out.stat().st_mode & 0o777 == 0o600  # it holds ID numbers: the owner's only


def test_reimport_updates_with_a_version_instead_of_duplicating(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    first = person(1)
    assert _import(runner, write_member_roster(tmp_path / "a.xlsx", [first])).exit_code == 0
    changed = dict(first, 家庭住址="湖南省邵阳县塘渡口镇建设路9号")
    result = _import(runner, write_member_roster(tmp_path / "b.xlsx", [changed, person(2)]))
    assert result.exit_code == 0, result.output
    assert "新增 1 人，更新 1 人，未变 0 人" in result.output
    result = _import(runner, write_member_roster(tmp_path / "b.xlsx", [changed]))
    assert "未变 1 人" in result.output
    with app.app_context():
        member = find_by_id_number(first["公民身份证号"])
        versions = db.session.scalars(select(MemberVersion).where(
            MemberVersion.member_id == member.id).order_by(MemberVersion.revision)).all()
        assert [v.source for v in versions] == ["import", "import"]
        assert versions[-1].changes["address"][1] == "湖南省邵阳县塘渡口镇建设路9号"
        assert versions[-1].basis == "导入 b.xlsx"
    assert _count(app) == 2


def test_same_id_in_two_branches_is_duplicate_collection(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    one = person(1)
    twin = dict(one, 所在党支部="中共测试县林业局第三支部委员会")
    result = _import(runner, write_member_roster(tmp_path / "r.xlsx", [one, twin]))
    assert result.exit_code != 0
    assert "第7行 D列（公民身份证号）：公民身份证号与第6行相同" in result.output
    assert "重复采集" in result.output
    assert _import(runner, write_member_roster(tmp_path / "a.xlsx", [one])).exit_code == 0
    result = _import(runner, write_member_roster(tmp_path / "b.xlsx", [twin]))
    assert result.exit_code != 0 and "重复采集" in result.output and BRANCH_A in result.output
    assert _count(app) == 1


def test_a_sheet_without_the_roster_header_is_refused(
        app: Flask, runner: Any, tmp_path: Path) -> None:
    from openpyxl import Workbook
    wb = Workbook()
    wb.active.append(["随便", "什么"])
    wb.save(tmp_path / "x.xlsx")
    result = _import(runner, tmp_path / "x.xlsx")
    assert result.exit_code != 0 and "找不到" in result.output


def test_an_unreadable_file_is_refused_in_chinese(app: Flask, runner: Any, tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0 not a zip")
    result = _import(runner, path)
    assert result.exit_code != 0 and "无法读取该文件" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("column, value, where, reason", [
    ("公民身份证号", 430523197504090011, "D列（公民身份证号）", "存成了数字"),
    ("出生日期", "1975年2月30日", "G列（出生日期）", "不是真实存在的日期"),
    ("民族", "火星族", "F列（民族）", "不是《民族代码》中的代码或名称"),
    ("性别", "女", "E列（性别）", "与公民身份证号不符"),
    ("是否为失\n联党员", "是", "R列（失去联系日期）", "缺少失去联系日期"),
    ("是否为流\n动党员", "是", "T列（外出流向）", "缺少外出流向"),
    ("外出流向", "火星省", "T列（外出流向）", "无法识别"),
    ("手机号", "12345", "M列（手机号）", "手机号格式错误"),
])
def test_invalid_values_are_reported_at_their_cell(
        app: Flask, runner: Any, tree: None, tmp_path: Path, column: str, value: Any,
        where: str, reason: str) -> None:
    row = person(1)
    row[column] = value
    if column == "外出流向":
        row["是否为流\n动党员"] = "是"
    result = _import(runner, write_member_roster(tmp_path / "r.xlsx", [row]))
    assert result.exit_code != 0
    line = next((ln for ln in result.output.splitlines() if where in ln), "")
    assert line.startswith("第6行") and reason in line, result.output
    assert _count(app) == 0


def test_excel_typed_numbers_are_read_back(app: Flask, runner: Any, tree: None, tmp_path: Path
                                           ) -> None:
    row = person(1)
    row.update({"手机号": 13900000001, "民族": 1, "学历": 21, "出生日期": 27493,  # 1975-04-09
                "工作岗位": 11, "加入党组\n织日期": 20010701})
    result = _import(runner, write_member_roster(tmp_path / "r.xlsx", [row]))
    assert result.exit_code == 0, result.output
    assert "工作岗位存成了数字" in result.output  # 11 may have been 011: a warning
    with app.app_context():
        rec = member_record(find_by_id_number(row["公民身份证号"]))
    assert (rec["mobile"], rec["ethnicity"], rec["education"], rec["job"]) == (
        "13900000001", "01", "21", "11")
    assert str(rec["birth_date"]) == "1975-04-09" and str(rec["joined_on"]) == "2001-07-01"


def test_the_roster_is_found_behind_an_instructions_sheet(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    path = write_member_roster(tmp_path / "r.xlsx", [person(1)])
    wb = load_workbook(path)
    notes = wb.create_sheet("填表说明", 0)
    notes["A1"] = "请按学历代码填写"
    wb.save(path)
    result = _import(runner, path)
    assert result.exit_code == 0 and "新增 1 人" in result.output, result.output


def test_reimport_of_a_changed_record_reasks_a_member_who_had_confirmed(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    from service.campaign.campaigns import start_campaign
    from service.campaign.workflow import confirm
    from service.models import CampaignMember
    from service.roster.orgs import find_org

    first = person(1)
    assert _import(runner, write_member_roster(tmp_path / "a.xlsx", [first])).exit_code == 0
    with app.app_context():
        campaign = start_campaign(find_org(COMMITTEE), later(), actor="test")
        cm = db.session.scalar(select(CampaignMember))
        confirm(cm.card_id, member_id=cm.member_id, channel="wechat", identity="bound_openid",
                actor=f"member:{cm.member_id}")
        db.session.commit()
        confirmed_card = cm.card_id
        campaign_id = campaign.id
    changed = dict(first, 家庭住址="湖南省邵阳县塘渡口镇建设路9号")
    assert _import(runner, write_member_roster(tmp_path / "b.xlsx", [changed])).exit_code == 0
    with app.app_context():
        cm = db.session.scalar(
            select(CampaignMember).where(CampaignMember.campaign_id == campaign_id))
        assert cm.state == "pending" and cm.card_id != confirmed_card


def test_people_imported_after_the_campaign_started_join_it(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    from service.campaign.campaigns import progress, start_campaign
    from service.models import Campaign, CampaignMember, OutboxMessage
    from service.roster.orgs import find_org

    assert _import(runner, write_member_roster(tmp_path / "a.xlsx", [person(1)])).exit_code == 0
    with app.app_context():
        campaign_id = start_campaign(find_org(COMMITTEE), later(), actor="test").id
        db.session.commit()
    rows = [person(1), person(2), person(3)]
    assert _import(runner, write_member_roster(tmp_path / "b.xlsx", rows)).exit_code == 0
    with app.app_context():
        cms = db.session.scalars(select(CampaignMember).where(
            CampaignMember.campaign_id == campaign_id)).all()
        assert len(cms) == 3 and {cm.state for cm in cms} == {"pending"}
        assert all(cm.card_id for cm in cms)
        cards = set(db.session.scalars(select(OutboxMessage.card_id)))
        assert cards == {cm.card_id for cm in cms}  # each newcomer's card is queued once
        assert progress(db.session.get(Campaign, campaign_id)).total == 3
