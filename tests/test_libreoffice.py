"""Exported 附件3/附件4 workbooks open in LibreOffice, the encrypted ones with their password."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from service.extensions import db
from testkit.factories import make_member, make_org

pytestmark = pytest.mark.slow  # LibreOffice starts for every workbook

LO_OPEN = Path(__file__).with_name("lo_open.py")
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, which has python3-uno


def _open_in_libreoffice(path: Path, password: str | None = None) -> list[list[str]]:
    out = path.with_suffix(".csv")
    args = [SYSTEM_PYTHON, str(LO_OPEN), str(path), str(out)] + ([password] if password else [])
    done = subprocess.run(args, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    with out.open(encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _seed(app: Flask) -> tuple[str, str]:
    with app.app_context():
        committee = make_org(name="中共演示县林业局委员会")
        branch = make_org(committee, name="中共演示县林业局机关第一支部委员会")
        member = make_member(branch, name="=HYPERLINK(\"http://x\")", job="011", ethnicity="01")
        db.session.commit()
        return member.id_number, branch.name


def test_member_export_opens_in_libreoffice_with_text_kept(
        app: Flask, runner: Any, tmp_path: Path) -> None:
    id_number, branch = _seed(app)
    target = tmp_path / "members.xlsx"
    assert runner.invoke(args=["members", "export", "-o", str(target)]).exit_code == 0
    rows = _open_in_libreoffice(target)
    assert rows[0][0] == "党员基本信息汇总表"
    member_row = next(r for r in rows if branch in r)
    assert id_number in member_row  # the ID stays text, not 1.1E+17
    assert "011" in member_row and "01" in member_row  # codes keep their leading zeros
    assert "'=HYPERLINK(\"http://x\")" in member_row  # shown as text, never run


def test_encrypted_export_opens_only_with_its_password(
        app: Flask, runner: Any, tmp_path: Path) -> None:
    id_number, _ = _seed(app)
    target = tmp_path / "members-locked.xlsx"
    result = runner.invoke(
        args=["members", "export", "-o", str(target), "--password", "报送Pw2024"])
    assert result.exit_code == 0, result.output
    assert any(id_number in row for row in _open_in_libreoffice(target, "报送Pw2024"))
    wrong = subprocess.run([SYSTEM_PYTHON, str(LO_OPEN), str(target), str(tmp_path / "w.csv"),
                            "wrong"], capture_output=True, timeout=180)
    assert wrong.returncode != 0


def test_org_export_opens_in_libreoffice(app: Flask, runner: Any, tmp_path: Path) -> None:
    _, branch = _seed(app)
    target = tmp_path / "orgs.xlsx"
    assert runner.invoke(args=["orgs", "export", "-o", str(target)]).exit_code == 0
    rows = _open_in_libreoffice(target)
    assert rows[0][0] == "党组织和所在单位信息汇总表"
    assert any(branch in row for row in rows)
