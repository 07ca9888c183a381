"""Bad and hostile roster workbooks on the CLI: refused in Chinese, no traceback, nothing
written; formulas without results are errors at their cell; renames need confirmation."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask import Flask
from sqlalchemy import func, select

from service.extensions import db
from service.models import Member
from service.roster.members import find_by_id_number
from testkit.factories import make_org
from tests import xlsx_hostile as hostile
from tests.xlsx_helpers import BRANCH_A, BRANCH_B, COMMITTEE, person, write_member_roster


@pytest.fixture
def tree(app: Flask) -> None:
    with app.app_context():
        committee = make_org(name=COMMITTEE)
        make_org(committee, name=BRANCH_A)
        make_org(committee, name=BRANCH_B)
        db.session.commit()


def _count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Member.id))) or 0


def _refused(app: Flask, runner: Any, path: Path, *phrases: str, args: tuple[str, ...] = ()
             ) -> str:
    result = runner.invoke(args=["members", "import", str(path), *args])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in result.output, result.output
    assert _count(app) == 0
    return str(result.output)


def test_openpyxl_parses_with_defusedxml() -> None:
    assert openpyxl.DEFUSEDXML is True


def test_a_small_file_that_unpacks_huge_is_refused_before_parsing(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    app.config["IMPORT_MAX_UNCOMPRESSED_BYTES"] = 4 * 1024 * 1024
    path = hostile.bomb(tmp_path / "bomb.xlsx", 12)
    assert path.stat().st_size < 200 * 1024
    started = time.monotonic()
    _refused(app, runner, path, "文件解压后有", "超过上限 4.0MB")
    assert time.monotonic() - started < 5


def test_a_dtd_or_entity_in_any_part_is_refused(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    path = hostile.repack(hostile.roster(tmp_path / "r.xlsx"), {hostile.SHEET: hostile.with_dtd})
    _refused(app, runner, path, "DTD 或实体声明", hostile.SHEET)
    path = hostile.repack(hostile.roster(tmp_path / "s.xlsx"),
                          {"xl/workbook.xml": hostile.with_dtd})
    _refused(app, runner, path, "DTD 或实体声明")


def test_truncated_sheet_xml_is_refused(app: Flask, runner: Any, tree: None, tmp_path: Path
                                        ) -> None:
    path = hostile.repack(hostile.roster(tmp_path / "r.xlsx", 5),
                          {hostile.SHEET: hostile.truncated})
    _refused(app, runner, path, "内容不完整或已损坏", "另存为 .xlsx")


def test_a_macro_enabled_workbook_is_refused(app: Flask, runner: Any, tree: None, tmp_path: Path
                                             ) -> None:
    path = hostile.repack(hostile.roster(tmp_path / "r.xlsx"),
                          {"[Content_Types].xml": hostile.macro_types})
    _refused(app, runner, path, "启用宏的工作簿（.xlsm）")


def test_rows_and_columns_beyond_the_limits_are_refused_from_the_dimension(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    path = hostile.repack(hostile.roster(tmp_path / "r.xlsx"),
                          {hostile.SHEET: hostile.dimension("A1:T3000000")})
    _refused(app, runner, path, "工作表有 3000000 行，超过导入上限 200000 行")
    path = hostile.repack(hostile.roster(tmp_path / "c.xlsx"),
                          {hostile.SHEET: hostile.dimension("A1:ZZ10")})
    _refused(app, runner, path, "工作表有 702 列，超过导入上限 200 列")


def test_a_dimension_that_lies_does_not_hide_the_rows(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    app.config["IMPORT_MAX_ROWS"] = 20
    path = hostile.repack(hostile.roster(tmp_path / "r.xlsx", 25),
                          {hostile.SHEET: hostile.dimension("A1:T5")})
    _refused(app, runner, path, "工作表超过 20 行")


def test_merged_cells_in_data_rows_are_refused(app: Flask, runner: Any, tree: None,
                                               tmp_path: Path) -> None:
    path = hostile.merge(hostile.roster(tmp_path / "r.xlsx"), "C6:C7")  # 所在党支部 over 2 rows
    _refused(app, runner, path, "第6行有合并单元格（C6:C7）", "数据行中不能合并单元格")


def test_merged_title_and_header_cells_are_fine(app: Flask, runner: Any, tree: None,
                                                tmp_path: Path) -> None:
    # The official template merges its title, its two-row header and 联系电话 (M4:N4).
    result = runner.invoke(args=["members", "import", str(hostile.roster(tmp_path / "r.xlsx"))])
    assert result.exit_code == 0, result.output
    assert _count(app) == 3


def test_a_formula_without_a_stored_result_is_an_error_at_its_cell(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    path = hostile.formula(hostile.roster(tmp_path / "r.xlsx"),
                           {"O6": '="湖南省"&"邵阳县"', "L7": '="011"'})
    output = _refused(app, runner, path)
    assert "第6行 O列（家庭住址）：单元格 O6 是公式，但文件中没有保存计算结果" in output
    assert "第7行 L列（工作岗位）：单元格 L7 是公式" in output


def test_a_formula_with_its_stored_result_is_read(app: Flask, runner: Any, tree: None,
                                                  tmp_path: Path) -> None:
    path = hostile.formula(hostile.roster(tmp_path / "r.xlsx"), {"O6": '="湖南省"&"邵阳县"'})

    def cached(data: bytes) -> bytes:  # what Excel saves: the formula and its result
        value = "湖南省邵阳县".encode()
        return re.sub(rb'(<c r="O6")([^>]*>)(<f>[^<]*</f>)<v\s*/>',
                      rb'\1 t="str"\2\3<v>' + value + rb"</v>", data, count=1)

    hostile.repack(path, {hostile.SHEET: cached})
    result = runner.invoke(args=["members", "import", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert find_by_id_number(person(1)["公民身份证号"]).address == "湖南省邵阳县"


def test_swapped_name_and_address_headers_are_refused(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    path = hostile.swapped(tmp_path / "r.xlsx", "姓名", "家庭住址")
    output = _refused(app, runner, path, "表头与内容对不上", "B列（姓名）有 3/3 个单元格不像姓名")
    assert "O列（家庭住址）有 3/3 个单元格不像住址" in output


def test_swapped_id_and_phone_headers_are_refused(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    path = hostile.swapped(tmp_path / "r.xlsx", "公民身份证号", "手机号")
    output = _refused(app, runner, path, "表头与内容对不上", "不像公民身份证号")
    assert person(1)["公民身份证号"] not in output


def _renamed(tmp_path: Path, name: str, count: int) -> Path:
    rows = [dict(person(i), 姓名=f"改名{i}") if i <= count else person(i) for i in range(1, 6)]
    return write_member_roster(tmp_path / name, rows)


def test_renaming_more_than_a_few_members_needs_accept_changes(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    first = write_member_roster(tmp_path / "a.xlsx", [person(i) for i in range(1, 6)])
    assert runner.invoke(args=["members", "import", str(first)]).exit_code == 0
    result = runner.invoke(args=["members", "import", str(_renamed(tmp_path, "b.xlsx", 4))])
    assert result.exit_code == 1
    assert "本次导入将修改 4 名已有党员的姓名" in result.output
    assert "第6行 测试员1→改名1" in result.output and "--accept-changes" in result.output
    with app.app_context():
        assert find_by_id_number(person(1)["公民身份证号"]).name == "测试员1"
    result = runner.invoke(args=["members", "import", str(_renamed(tmp_path, "b.xlsx", 4)),
                                 "--accept-changes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert find_by_id_number(person(1)["公民身份证号"]).name == "改名1"


def test_renaming_a_few_members_needs_no_confirmation(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    first = write_member_roster(tmp_path / "a.xlsx", [person(i) for i in range(1, 6)])
    assert runner.invoke(args=["members", "import", str(first)]).exit_code == 0
    result = runner.invoke(args=["members", "import", str(_renamed(tmp_path, "b.xlsx", 3))])
    assert result.exit_code == 0, result.output
    assert "更新 3 人" in result.output


def test_org_import_refuses_a_hostile_workbook(app: Flask, runner: Any, tmp_path: Path) -> None:
    path = hostile.repack(hostile.roster(tmp_path / "r.xlsx"), {hostile.SHEET: hostile.with_dtd})
    result = runner.invoke(args=["orgs", "import", str(path)])
    assert result.exit_code == 1 and "DTD 或实体声明" in result.output


@pytest.mark.slow
def test_the_821kb_file_that_unpacks_to_800mb_is_refused_in_seconds_with_little_memory(
        app: Flask, runner: Any, tree: None, tmp_path: Path) -> None:
    import tracemalloc

    path = hostile.bomb(tmp_path / "bomb.xlsx", 800)  # the default limits
    assert path.stat().st_size < 1024 * 1024
    tracemalloc.start()
    started = time.monotonic()
    try:
        _refused(app, runner, path, "文件解压后有 800MB")
        assert time.monotonic() - started < 5
        assert tracemalloc.get_traced_memory()[1] < 50 * 1024 * 1024
    finally:
        tracemalloc.stop()
