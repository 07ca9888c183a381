"""`flask campaign start|status` and `flask evidence verify|export` run a campaign end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pyzipper
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from service.campaign import corrections, workflow
from service.clock import today_local
from service.extensions import db
from service.models import CampaignMember, Member
from service.records.idcard import mask_id
from service.unit_of_work import run_unit
from testkit.workflow import committee, confirm_kwargs

ROOT = "中共测试工作流委员会"


def _cli(runner: FlaskCliRunner, *args: str) -> Result:
    return runner.invoke(args=list(args))


def _start(runner: FlaskCliRunner, *extra: str) -> Result:
    deadline = (today_local() + timedelta(days=20)).isoformat()
    return _cli(runner, "campaign", "start", "--org", ROOT, "--deadline", deadline, *extra)


def test_campaign_driven_from_the_command_line(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path,
) -> None:
    with app.app_context():
        _, _, members = committee()
        ids = {m.id: m.id_number for m in members}
    result = _start(runner)
    assert result.exit_code == 0, result.output
    assert "共 4 名党员，已提交确认 4 名" in result.output
    again = _start(runner)
    assert again.exit_code != 0 and "进行中的信息确认工作" in again.output

    with app.app_context():
        rows = db.session.execute(select(CampaignMember.campaign_id, CampaignMember.member_id,
                                         CampaignMember.card_id)
                                  .order_by(CampaignMember.member_id)).all()
        first, second, third = rows[0], rows[1], rows[2]
        run_unit(lambda: workflow.confirm(first.card_id, first.member_id, **confirm_kwargs()))
        run_unit(lambda: corrections.dispute(second.card_id, second.member_id,
                                             proposed={"address": "新址7号"}, channel="sms",
                                             identity="sms_phone"))
        run_unit(lambda: workflow.mark_unreachable(third.campaign_id, third.member_id,
                                                   actor="admin:1", note="无法联系"))

    text = _cli(runner, "campaign", "status", "--org", ROOT)
    assert text.exit_code == 0
    for line in ("已确认：1", "待修改：1", "失联未确认：1", "待确认：1", "尚有 2 名未完成"):
        assert line in text.output
    as_json = _cli(runner, "campaign", "status", "--json")
    data = json.loads(as_json.output)
    assert data["counts"]["confirmed"] == 1 and data["total"] == 4 and not data["complete"]
    assert data["members"][mask_id(ids[first.member_id])] == "confirmed"
    assert not any(number in as_json.output for number in ids.values())

    verified = _cli(runner, "evidence", "verify")
    assert verified.exit_code == 0 and "证据链完整" in verified.output
    out = tmp_path / "org.zip"
    exported = _cli(runner, "evidence", "export", "--org", ROOT, "-o", str(out),
                    "--password", "inspector-pw")
    assert exported.exit_code == 0, exported.output
    with pyzipper.AESZipFile(out) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path / "org", pwd=b"inspector-pw")
    assert {"entries.json", "chain.json", "README.md", "verify.py"} <= names
    check = subprocess.run([sys.executable, "-I", "verify.py"], cwd=tmp_path / "org",
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr

    with app.app_context():
        db.session.execute(sa.text("UPDATE evidence_entries SET actor = 'forged' WHERE seq = 2"))
        db.session.execute(sa.text(
            "UPDATE evidence_entries SET body = REPLACE(body, '\"actor\":\"cli\"', "
            "'\"actor\":\"forged\"') WHERE seq = 2"))
        db.session.commit()
    broken = _cli(runner, "evidence", "verify")
    assert broken.exit_code != 0 and "E000002" in broken.output


def test_cli_refusals_are_chinese(app: Flask, runner: FlaskCliRunner) -> None:
    later = (today_local() + timedelta(days=20)).isoformat()
    bad_org = _cli(runner, "campaign", "start", "--org", "不存在的党委", "--deadline", later)
    assert bad_org.exit_code != 0 and "不存在" in bad_org.output
    bad_date = _cli(runner, "campaign", "start", "--org", ROOT, "--deadline", "2030-13-01")
    assert bad_date.exit_code != 0 and "不是有效日期" in bad_date.output
    with app.app_context():
        committee()
    past = _cli(runner, "campaign", "start", "--org", ROOT, "--deadline", "2001-01-01")
    assert past.exit_code != 0 and "早于今天" in past.output
    none = _cli(runner, "campaign", "status")
    assert none.exit_code != 0 and "没有找到" in none.output
    both = _cli(runner, "evidence", "export", "-o", "x.zip")
    assert both.exit_code != 0 and "--member" in both.output


def test_draft_start_and_member_export(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    with app.app_context():
        _, _, members = committee(1)
        member_id = members[0].id
    assert _start(runner, "--draft").exit_code == 0
    with app.app_context():
        states = set(db.session.scalars(select(CampaignMember.state)))
        assert states == {"draft"}
        assert db.session.get(Member, member_id) is not None
    out = tmp_path / "m.zip"
    result = runner.invoke(args=["evidence", "export", "--member", str(member_id), "-o",
                                 str(out)], input="member-pw\nmember-pw\n")  # prompted
    assert result.exit_code == 0 and "0 条凭证" in result.output
