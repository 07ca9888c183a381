"""`flask orgs import|export`: 附件3 with its 附页, committee placement, joint branches, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from service.extensions import db
from service.models import Org
from tests.xlsx_helpers import COMMITTEE, write_org_roster

USCC = "91110106700109904W"  # the example code printed in the operations manual
BRANCH = ["中共测试县林业局机关第一支部委员会", "631", "与上级党组织相同", "张三", "李四",
          "13800138000", None, None, None, None]
JOINT = ["中共测试县林业局非公企业联合支部委员会", "联合党支部", "联合支部", "王五", "赵六",
         "0739-6821234", "北京碧海洗浴有限公司", "非公有经济控制", "2", USCC]
COMMITTEE_ROW = [COMMITTEE, "611", "法人单位", "周七", "吴八", "13800138002", "测试县林业局", "4",
                 "11", "0"]
EXTRA = [[JOINT[0], "北京南法名阁商贸中心", "23", "0"], [JOINT[0], "北京英盛苑宾馆", 23, "0"]]


def _orgs(app: Flask) -> dict[str, Org]:
    with app.app_context():
        orgs = db.session.scalars(select(Org)).all()
        for o in orgs:
            _ = (o.units, o.parent)
        return {o.name: o for o in orgs}


def test_import_creates_the_committee_and_the_joint_branch_units(
        app: Flask, runner: Any, tmp_path: Path) -> None:
    path = write_org_roster(tmp_path / "a3.xlsx", [BRANCH, JOINT], EXTRA)
    result = runner.invoke(args=["orgs", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "新增党组织 3 个" in result.output and "已按组织类别 611 党委新建" in result.output
    orgs = _orgs(app)
    committee = orgs[COMMITTEE]
    assert committee.org_type == "611" and committee.parent is None
    joint = orgs[JOINT[0]]
    assert joint.parent.name == COMMITTEE and joint.org_type == "632"
    assert joint.contact_phone == "0739-6821234"
    assert [(u.name, u.unit_type, u.party_org_status, u.unit_code) for u in joint.units] == [
        ("北京碧海洗浴有限公司", "23", "2", USCC), ("北京南法名阁商贸中心", "23", "2", "0"),
        ("北京英盛苑宾馆", "23", "2", "0")]
    assert orgs[BRANCH[0]].units == []


def test_seed_style_per_org_appendix_is_accepted(app: Flask, runner: Any, tmp_path: Path) -> None:
    path = write_org_roster(tmp_path / "a3.xlsx", [JOINT], EXTRA, per_org_extra=JOINT[0])
    result = runner.invoke(args=["orgs", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert len(_orgs(app)[JOINT[0]].units) == 3


def test_export_then_import_gives_back_the_same_tree(app: Flask, runner: Any, tmp_path: Path
                                                     ) -> None:
    path = write_org_roster(tmp_path / "a3.xlsx", [BRANCH, JOINT, COMMITTEE_ROW], EXTRA)
    result = runner.invoke(args=["orgs", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "新建" not in result.output  # the committee's own row came with the sheet
    assert _orgs(app)[BRANCH[0]].parent.name == COMMITTEE
    out = tmp_path / "out.xlsx"
    result = runner.invoke(args=["orgs", "export", "-o", str(out)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    main, extra, notes = wb.worksheets
    assert main["A1"].value == "党组织和所在单位信息汇总表"
    assert main["A2"].value == f"基层党委：{COMMITTEE}"
    assert (main["C4"].value, main["H4"].value, main["C5"].value, main["K5"].value) == (
        "党组织信息", "单位信息", "组织类别", "党组织所在单位代码")
    assert {"C4:G4", "H4:K4", "A4:A5", "B4:B5"} <= {str(r) for r in main.merged_cells.ranges}
    # The 附页 as the system manual prints it: one org, only its units after the first.
    assert extra["A1"].value == "党组织和所在单位基本信息采集表附页"
    assert extra["A2"].value == f"基层党组织：{JOINT[0]}"
    assert list(extra.iter_rows(min_row=3, values_only=True)) == [
        ("序号", "单位名称", "单位类别", "党组织所在单位代码"),
        (1, "北京南法名阁商贸中心", "23", "0"), (2, "北京英盛苑宾馆", "23", "0")]
    assert notes.title == "说明" and "上级党组织" in str(notes["A5"].value)
    before = {n: (o.org_type, o.unit_situation, o.contact_phone,
                  [(u.name, u.unit_type, u.party_org_status, u.unit_code) for u in o.units])
              for n, o in _orgs(app).items()}
    result = runner.invoke(args=["orgs", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert "新增党组织 0 个，更新 0 个" in result.output
    after = {n: (o.org_type, o.unit_situation, o.contact_phone,
                 [(u.name, u.unit_type, u.party_org_status, u.unit_code) for u in o.units])
             for n, o in _orgs(app).items()}
    assert after == before


def test_invalid_org_rows_are_reported_and_block_the_import(
        app: Flask, runner: Any, tmp_path: Path) -> None:
    bad_code = list(JOINT)
    bad_code[9] = "91110106700109904A"
    lonely = list(BRANCH)
    lonely[0], lonely[1] = "中共测试第二支部委员会", "999"
    path = write_org_roster(tmp_path / "a3.xlsx", [bad_code, lonely], EXTRA)
    out = tmp_path / "errors.xlsx"
    result = runner.invoke(args=["orgs", "import", str(path), "--errors-out", str(out)])
    assert result.exit_code != 0
    assert "第6行 K列（党组织所在单位代码）" in result.output
    assert "第7行 C列（组织类别）" in result.output
    assert _orgs(app) == {}
    ws = load_workbook(out).worksheets[0]
    assert ws["K6"].comment is not None and ws["C7"].comment is not None


def test_org_export_with_password(app: Flask, runner: Any, tmp_path: Path) -> None:
    import io

    from service.records.xlsx_crypto import decrypt_workbook
    path = write_org_roster(tmp_path / "a3.xlsx", [BRANCH], None)
    assert runner.invoke(args=["orgs", "import", str(path)]).exit_code == 0
    out = tmp_path / "enc.xlsx"
    assert runner.invoke(args=["orgs", "export", "-o", str(out), "--password", "pw"]).exit_code == 0
    plain = io.BytesIO()
    with open(out, "rb") as f:
        decrypt_workbook(f, plain, "pw")
    assert load_workbook(plain).worksheets[0]["B7"].value == BRANCH[0]


def test_dry_run_checks_everything_and_writes_nothing(app: Flask, runner: Any,
                                                      tmp_path: Path) -> None:
    path = write_org_roster(tmp_path / "a3.xlsx", [BRANCH, JOINT], EXTRA)
    result = runner.invoke(args=["orgs", "import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "新增党组织 3 个" in result.output
    assert _orgs(app) == {}
    bad = list(BRANCH)
    bad[1] = "999"
    path = write_org_roster(tmp_path / "bad.xlsx", [bad], None)
    result = runner.invoke(args=["orgs", "import", str(path), "--dry-run"])
    assert result.exit_code != 0 and "C列（组织类别）" in result.output
    assert _orgs(app) == {}


def test_skip_invalid_imports_the_good_rows_only(app: Flask, runner: Any, tmp_path: Path) -> None:
    bad = list(BRANCH)
    bad[0], bad[1] = "中共测试第二支部委员会", "999"
    path = write_org_roster(tmp_path / "a3.xlsx", [BRANCH, bad], None)
    result = runner.invoke(args=["orgs", "import", str(path), "--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert "第7行 C列（组织类别）" in result.output
    orgs = _orgs(app)
    assert BRANCH[0] in orgs and bad[0] not in orgs


def test_export_of_one_committee_leaves_the_others_out(app: Flask, runner: Any,
                                                       tmp_path: Path) -> None:
    path = write_org_roster(tmp_path / "a3.xlsx", [BRANCH, JOINT, COMMITTEE_ROW], EXTRA)
    assert runner.invoke(args=["orgs", "import", str(path)]).exit_code == 0
    out = tmp_path / "branch.xlsx"
    result = runner.invoke(args=["orgs", "export", "-o", str(out), "--org", BRANCH[0]])
    assert result.exit_code == 0, result.output
    names = [r[1] for r in load_workbook(out).worksheets[0].iter_rows(min_row=6, values_only=True)
             if r[1]]
    assert names == [BRANCH[0]]
    missing = runner.invoke(args=["orgs", "export", "-o", str(out), "--org", "不存在的支部"])
    assert missing.exit_code != 0 and "不存在" in missing.output
