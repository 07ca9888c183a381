"""附件3 round trips keep the tree: the 上级党组织 column, placement without it, the 附页 of joint
branches, and the "基层党委：" line of per-branch and per-committee files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select
from xlsx_helpers import COMMITTEE, write_org_roster

from service.extensions import db
from service.models import Org
from service.roster import exporting

BRANCH = ["中共测试县林业局机关第一支部委员会", "631", "与上级党组织相同", "张三", "李四",
          "13800138000", None, None, None, None]
COMMITTEE_ROW = [COMMITTEE, "611", "法人单位", "周七", "吴八", "13800138002", "测试县林业局", "4",
                 "11", "0"]
GENERAL = ["中共测试县林业局机关总支部委员会", "621", "与上级党组织相同", "周七", "吴八",
           "13800138003", None, None, None, None]


def _tree(app: Flask) -> dict[str, str | None]:
    """Return {org name: parent name} for every org."""
    with app.app_context():
        return {o.name: (o.parent.name if o.parent else None)
                for o in db.session.scalars(select(Org))}


def _empty(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            if conn.dialect.name == "mysql":
                conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=0"))
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
            if conn.dialect.name == "mysql":
                conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=1"))


def _ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return result


def test_whole_database_and_each_committee_round_trip_into_an_empty_database(
        app: Flask, runner: Any, tmp_path: Path) -> None:
    _ok(runner.invoke(args=["demo", "seed", "--members", "3000", "--seed", "1"]))
    tree = _tree(app)
    with app.app_context():
        types = {o.name: o.org_type for o in db.session.scalars(select(Org))}
        joint = [o.name for o in db.session.scalars(select(Org)) if len(o.units) > 3]
    # The demo puts a county 党委 above its 基层党委: the committees are the 党委 under it.
    (top,) = [n for n, p in tree.items() if p is None]
    committees = sorted(n for n, p in tree.items() if p == top and types[n] == "611")
    assert len(committees) == 2 and "621" in types.values() and "632" in types.values()
    assert any(types[p] == "621" for p in tree.values() if p)  # branches under a 党总支
    files = {"all": tmp_path / "all.xlsx"}
    _ok(runner.invoke(args=["orgs", "export", "-o", str(files["all"])]))
    for n, name in enumerate(committees):
        files[name] = tmp_path / f"c{n}.xlsx"
        _ok(runner.invoke(args=["orgs", "export", "-o", str(files[name]), "--org", name]))
    wb = load_workbook(files["all"])
    assert wb.worksheets[0]["A2"].value == f"基层党委：{top}"  # one tree: its top org
    annexes = [ws for ws in wb.worksheets if ws.title.startswith("附页")]
    assert {ws["A2"].value.split("：", 1)[1] for ws in annexes} >= set(joint)

    for which, path in files.items():
        _empty(app)
        result = _ok(runner.invoke(args=["orgs", "import", str(path)]))
        assert "无法确定上级" not in result.output and "PARENT" not in result.output
        # A committee's own file has no org above it: the committee comes back at the top.
        expected = tree if which == "all" else {
            n: (None if n == which else p) for n, p in tree.items()
            if n == which or _under(tree, n, which)}
        assert _tree(app) == expected, which


def _under(tree: dict[str, str | None], name: str, top: str) -> bool:
    parent = tree[name]
    while parent is not None:
        if parent == top:
            return True
        parent = tree[parent]
    return False


def test_a_sheet_without_the_parent_column_says_where_new_orgs_go_before_writing(
        app: Flask, runner: Any, tmp_path: Path) -> None:
    path = write_org_roster(tmp_path / "a3.xlsx", [GENERAL, BRANCH])
    result = _ok(runner.invoke(args=["orgs", "import", str(path), "--dry-run"]))
    said = "第6行 B列（党组织名称）：表中没有“上级党组织”列：新党组织将建在表头所列基层党委"
    assert f"{said}“{COMMITTEE}”" in result.output
    assert f"将增加党组织 2 个，放在“{COMMITTEE}”之下" in result.output
    assert _tree(app) == {}
    _ok(runner.invoke(args=["orgs", "import", str(path)]))
    assert _tree(app) == {COMMITTEE: None, GENERAL[0]: COMMITTEE, BRANCH[0]: COMMITTEE}


def _with_parents(path: Path, parents: dict[str, str | None]) -> Path:
    """Fill the 上级党组织 column (L) of an exported 附件3 by org name."""
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    for row in ws.iter_rows(min_row=6):
        if row[1].value in parents:
            ws.cell(row[0].row, 12, parents[row[1].value])
    wb.save(path)
    return path


def test_the_parent_column_places_new_orgs_and_never_moves_existing_ones(
        app: Flask, runner: Any, tmp_path: Path) -> None:
    _ok(runner.invoke(args=["orgs", "import", str(write_org_roster(
        tmp_path / "a.xlsx", [COMMITTEE_ROW, GENERAL, BRANCH]))]))
    out = tmp_path / "out.xlsx"
    _ok(runner.invoke(args=["orgs", "export", "-o", str(out)]))
    assert load_workbook(out).worksheets[0]["L4"].value == "上级党组织"
    _with_parents(out, {BRANCH[0]: GENERAL[0]})
    result = _ok(runner.invoke(args=["orgs", "import", str(out)]))
    assert "导入不移动已有党组织" in result.output
    assert _tree(app)[BRANCH[0]] == COMMITTEE
    _empty(app)
    _ok(runner.invoke(args=["orgs", "import", str(out)]))
    assert _tree(app) == {COMMITTEE: None, GENERAL[0]: COMMITTEE, BRANCH[0]: GENERAL[0]}


def test_unknown_parents_and_loops_are_refused_by_row(app: Flask, runner: Any,
                                                      tmp_path: Path) -> None:
    _ok(runner.invoke(args=["orgs", "import", str(write_org_roster(
        tmp_path / "a.xlsx", [COMMITTEE_ROW, GENERAL, BRANCH]))]))
    out = tmp_path / "out.xlsx"
    _ok(runner.invoke(args=["orgs", "export", "-o", str(out)]))
    _empty(app)
    _with_parents(out, {GENERAL[0]: BRANCH[0], BRANCH[0]: GENERAL[0],
                        COMMITTEE: "中共不存在委员会"})
    result = runner.invoke(args=["orgs", "import", str(out)])
    assert result.exit_code != 0
    assert ("第6行 L列（上级党组织）：上级党组织“中共不存在委员会”既不在本表中，也不在系统中"
            in result.output)
    assert "第7行 L列（上级党组织）：上级党组织关系成环" in result.output
    assert "上级党组织关系成环" in result.output
    assert _tree(app) == {}


def test_the_committee_line_names_the_committee_of_a_branch_and_the_date_is_shanghai(
        app: Flask, runner: Any, tmp_path: Path) -> None:
    _ok(runner.invoke(args=["orgs", "import", str(write_org_roster(
        tmp_path / "a.xlsx", [COMMITTEE_ROW, GENERAL, BRANCH]))]))
    out = tmp_path / "out.xlsx"
    _ok(runner.invoke(args=["orgs", "export", "-o", str(out)]))
    _with_parents(out, {BRANCH[0]: GENERAL[0]})
    _empty(app)
    _ok(runner.invoke(args=["orgs", "import", str(out)]))
    with app.app_context():
        branch = db.session.scalars(select(Org).where(Org.name == BRANCH[0])).one()
        general = db.session.scalars(select(Org).where(Org.name == GENERAL[0])).one()
        assert exporting.committee_name(branch) == COMMITTEE
        assert exporting.committee_name(general) == COMMITTEE
    for kind in ("orgs", "members"):
        path = tmp_path / f"{kind}.xlsx"
        _ok(runner.invoke(args=[kind, "export", "-o", str(path), "--org", BRANCH[0]]))
        assert load_workbook(path).worksheets[0]["A2"].value == f"基层党委：{COMMITTEE}"


def test_summary_date_is_the_export_day_in_shanghai(app: Flask, runner: Any,
                                                    tmp_path: Path) -> None:
    from datetime import UTC, datetime

    import time_machine

    _ok(runner.invoke(args=["orgs", "import", str(write_org_roster(tmp_path / "a.xlsx",
                                                                   [BRANCH]))]))
    # 2017-06-30 17:30 UTC is already 1 July in Shanghai.
    out = tmp_path / "out.xlsx"
    with time_machine.travel(datetime(2017, 6, 30, 17, 30, tzinfo=UTC), tick=False):
        _ok(runner.invoke(args=["orgs", "export", "-o", str(out)]))
    assert load_workbook(out).worksheets[0]["A3"].value == "汇总日期：2017 年 7 月 1 日"


def test_a_joint_branch_with_many_units_prints_and_exports_the_same_annex(
        app: Flask, runner: Any, tmp_path: Path) -> None:
    from tests.forms_helpers import pdf_text

    name = "中共测试联合支部委员会"
    units = [[name, f"测试共建单位{n}有限公司", "23", "0"] for n in range(2, 31)]
    joint = [name, "632", "联合支部", "王五", "赵六", "0739-6821234", "测试共建单位1有限公司", "23",
             "2", "0"]
    _ok(runner.invoke(args=["orgs", "import", str(write_org_roster(
        tmp_path / "a.xlsx", [COMMITTEE_ROW, joint], units))]))
    out = tmp_path / "out.xlsx"
    _ok(runner.invoke(args=["orgs", "export", "-o", str(out)]))
    annex = list(load_workbook(out)["附页1"].iter_rows(min_row=4, values_only=True))
    assert annex == [(n - 1, f"测试共建单位{n}有限公司", "23", "0") for n in range(2, 31)]
    pdf = tmp_path / "org.pdf"
    _ok(runner.invoke(args=["forms", "org", "--org", name, "-o", str(pdf)]))
    pages = pdf_text(pdf).split("\f")
    printed = "\n".join(pages[1:])
    assert len([p for p in pages[1:] if "附页" in p]) >= 2  # many units: the 附页 runs on
    positions = [printed.index(unit_name) for _, unit_name, _, _ in annex]
    assert positions == sorted(positions) and "测试共建单位1有限公司" not in printed
    assert "29" in printed.split("测试共建单位30有限公司")[0].split("测试共建单位29有限公司")[1]
