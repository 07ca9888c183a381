"""`flask members export`: the official 附件4 layout, round trip, neutralised formulas, password."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import msoffcrypto
import pytest
from flask import Flask
from msoffcrypto.exceptions import InvalidKeyError
from openpyxl import load_workbook
from sqlalchemy import select

from service.clock import today_local
from service.extensions import db
from service.models import Member
from service.records.xlsx_crypto import decrypt_workbook
from service.roster.members import member_record
from testkit.factories import make_member, make_org
from tests.xlsx_helpers import BRANCH_A, BRANCH_B, COMMITTEE, person, tricky, write_member_roster

INJECTED = '=HYPERLINK("http://example.invalid/x","点我")'


@pytest.fixture
def roster(app: Flask) -> None:
    with app.app_context():
        committee = make_org(name=COMMITTEE)
        a = make_org(committee, name=BRANCH_A)
        b = make_org(committee, name=BRANCH_B)
        make_member(a, name="甲", is_floating=True, flow_to="330106", landline="0739-6821234")
        make_member(a, name=INJECTED, address="-1+2 号楼 3号")
        make_member(b, name="乙", is_lost=True, lost_since="2016-03", party_status="停止党籍",
                    mobile=None)
        db.session.commit()


def _records(app: Flask) -> dict[str, dict[str, Any]]:
    with app.app_context():
        return {m.id_number: member_record(m) for m in db.session.scalars(select(Member))}


def test_export_writes_the_official_layout(app: Flask, runner: Any, roster: None,
                                           tmp_path: Path) -> None:
    out = tmp_path / "a4.xlsx"
    result = runner.invoke(args=["members", "export", "-o", str(out)])
    assert result.exit_code == 0, result.output
    ws = load_workbook(out).worksheets[0]
    assert ws["A1"].value == "党员基本信息汇总表"
    assert ws["A2"].value == f"基层党委：{COMMITTEE}"
    assert ws["A3"].value.startswith("汇总日期：") and ws["A3"].value.endswith(" 日")
    assert [ws.cell(4, c).value for c in (1, 2, 3, 4, 13)] == [
        "序号", "姓名", "所在党支部", "公民身份证号", "联系电话"]
    assert (ws["M5"].value, ws["N5"].value) == ("手机号", "固定电话")
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:T1", "A4:A5", "M4:N4", "T4:T5"} <= merged
    rows = [r for r in ws.iter_rows(min_row=6, values_only=True)]
    assert [r[0] for r in rows] == [1, 2, 3]
    first = next(r for r in rows if r[1] == "甲")
    assert (first[5], first[7], first[11]) == ("01", "21", "011")
    assert first[6] == "1980-03-15" and first[18] == "是" and first[19] == "浙江省杭州市西湖区"
    lost = next(r for r in rows if r[1] == "乙")
    assert (lost[15], lost[16], lost[17]) == ("停止党籍", "是", "2016-03")
    assert all(isinstance(r[3], str) and len(r[3]) == 18 for r in rows)


def test_formula_like_values_are_never_formulas(app: Flask, runner: Any, roster: None,
                                                tmp_path: Path) -> None:
    out = tmp_path / "a4.xlsx"
    assert runner.invoke(args=["members", "export", "-o", str(out)]).exit_code == 0
    ws = load_workbook(out).worksheets[0]
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert "'" + INJECTED in {c.value for c in cells}


def test_import_export_import_gives_back_the_same_data(
        app: Flask, runner: Any, roster: None, tmp_path: Path) -> None:
    before = _records(app)
    out = tmp_path / "a4.xlsx"
    assert runner.invoke(args=["members", "export", "-o", str(out)]).exit_code == 0
    result = runner.invoke(args=["members", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert "新增 0 人，更新 0 人，未变 3 人，错误 0 行" in result.output
    assert _records(app) == before


def test_a_messy_roster_round_trips_through_export(app: Flask, runner: Any, tmp_path: Path
                                                   ) -> None:
    with app.app_context():
        committee = make_org(name=COMMITTEE)
        make_org(committee, name=BRANCH_A)
        make_org(committee, name=BRANCH_B)
        db.session.commit()
    src = write_member_roster(tmp_path / "in.xlsx", [person(1), tricky(2), person(3)])
    assert runner.invoke(args=["members", "import", str(src)]).exit_code == 0
    before = _records(app)
    out = tmp_path / "out.xlsx"
    assert runner.invoke(args=["members", "export", "-o", str(out)]).exit_code == 0
    # Read back on its own, the export holds exactly the stored records...
    from service.records.member_sheet import read_members
    rows = list(read_members(out, today_local()).rows)
    assert all(r.ok for r in rows), [p.describe() for r in rows for p in r.problems]
    assert {r.record["id_number"]: r.record for r in rows} == before
    # ...and importing it changes nothing.
    result = runner.invoke(args=["members", "import", str(out)])
    assert "新增 0 人，更新 0 人，未变 3 人" in result.output, result.output
    assert _records(app) == before


def test_export_scoped_to_an_org(app: Flask, runner: Any, roster: None, tmp_path: Path) -> None:
    out = tmp_path / "b.xlsx"
    result = runner.invoke(args=["members", "export", "-o", str(out), "--org", BRANCH_B])
    assert result.exit_code == 0, result.output
    ws = load_workbook(out).worksheets[0]
    assert ws["A2"].value == f"基层党委：{COMMITTEE}"  # the branch's committee, not the branch
    assert [r[1] for r in ws.iter_rows(min_row=6, values_only=True)] == ["乙"]
    result = runner.invoke(args=["members", "export", "-o", str(out), "--org", "没有这个组织"])
    assert result.exit_code != 0 and "不存在" in result.output


def test_password_export_opens_only_with_the_password(
        app: Flask, runner: Any, roster: None, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "secret.xlsx"
    result = runner.invoke(args=["members", "export", "-o", str(out), "--password", "报送2017"])
    assert result.exit_code == 0, result.output
    with open(out, "rb") as f:
        assert msoffcrypto.OfficeFile(f).is_encrypted()
    with pytest.raises(zipfile.BadZipFile):  # an encrypted workbook is an OLE file, not a zip
        load_workbook(out)
    plain = io.BytesIO()
    with open(out, "rb") as f:
        decrypt_workbook(f, plain, "报送2017")
    ws = load_workbook(plain).worksheets[0]
    assert ws["A1"].value == "党员基本信息汇总表"
    assert {r[1] for r in ws.iter_rows(min_row=6, values_only=True)} == {"甲", "乙", "'" + INJECTED}
    with open(out, "rb") as f, pytest.raises(InvalidKeyError):
        decrypt_workbook(f, io.BytesIO(), "wrong")
    assert list(out.parent.iterdir()) == [out]  # no plain temporary copy left behind


def test_writer_streams_from_any_iterator(tmp_path: Path) -> None:
    from service.records.member_sheet import read_members, write_members
    from testkit.factories import member_record as make_record

    records = (make_record(branch=BRANCH_A) for _ in range(5))
    path = tmp_path / "gen.xlsx"
    assert write_members(path, records, party=COMMITTEE, on=date(2017, 7, 20)) == 5
    sheet = read_members(path, date(2024, 1, 1))
    assert sheet.header.party == COMMITTEE
    rows = list(sheet.rows)
    assert [r.row for r in rows] == [6, 7, 8, 9, 10] and all(r.ok for r in rows)
    assert load_workbook(path).worksheets[0]["A3"].value == "汇总日期：2017 年 7 月 20 日"
