"""Binding posters and QR codes: the PDF's words, the QR it prints, WeChat or the start page."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from flask import Flask
from PIL import Image
from sqlalchemy import select

from service.extensions import db
from service.forms.poster import poster_pdf
from service.forms.qr import qr_matrix
from service.models import AuditLog
from testkit.factories import make_member, make_org
from testkit.fakes.wechat import FakeWeChat, wechat_config

DPI = 150


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def _printed_modules(pdf: Path, placement: Any, tmp_path: Path) -> list[list[bool]]:
    """Rasterize the page and read the QR symbol back, module by module."""
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-singlefile", str(pdf), str(prefix)],
                   check=True)
    with Image.open(f"{prefix}.png") as page:
        image = page.convert("L")
    scale = DPI / 72
    module = placement.size / placement.modules
    grid = []
    for row in range(placement.modules):
        y = placement.y + placement.size - (row + 0.5) * module
        cells = []
        for col in range(placement.modules):
            x = placement.x + (col + 0.5) * module
            cells.append(image.getpixel((round(x * scale), round(image.height - y * scale))) < 128)
        grid.append(cells)
    return grid


def test_the_poster_prints_the_steps_and_a_readable_qr(tmp_path: Path) -> None:
    out = tmp_path / "poster.pdf"
    payload = "http://weixin.qq.com/q/TESTTICKET-0001"
    placement = poster_pdf("中共测试街道第一社区支部委员会", payload, out, account="测试党建")
    text = _pdf_text(out)
    for words in ("党员身份绑定", "中共测试街道第一社区支部委员会", "扫码关注",
                  "核对姓名和身份证后六位", "输入短信验证码", "测试党建"):
        assert words in text.replace(" ", ""), words
    assert _printed_modules(out, placement, tmp_path) == qr_matrix(payload)
    assert _printed_modules(out, placement, tmp_path) != qr_matrix(payload + "x")


def test_without_wechat_the_poster_points_at_the_start_page(app: Flask, runner: Any,
                                                            tmp_path: Path) -> None:
    with app.app_context():
        org = make_org(name="中共测试海报第二支部委员会")
        db.session.commit()
        org_id = org.id
    out = tmp_path / "p.pdf"
    result = runner.invoke(args=["qr", "poster", "--org", "中共测试海报第二支部委员会",
                                 "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"/bind/start/o{org_id}" in result.output and "未配置微信公众号" in result.output
    assert "扫码关注" in _pdf_text(out).replace(" ", "")
    with app.app_context():
        [entry] = db.session.scalars(select(AuditLog).where(
            AuditLog.action == "export.binding_poster")).all()
        assert entry.target_id == str(org_id)


def test_an_unknown_org_or_wrong_suffix_is_refused(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["qr", "poster", "--org", "不存在的支部", "-o",
                                 str(tmp_path / "x.pdf")])
    assert result.exit_code != 0 and "不存在" in result.output
    result = runner.invoke(args=["qr", "poster", "--org", "x", "-o", str(tmp_path / "x.png")])
    assert result.exit_code != 0 and ".pdf" in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_with_wechat_posters_are_permanent_and_members_temporary(
    make_app: Any, wechat_fake: FakeWeChat, tmp_path: Path,
) -> None:
    app = make_app(**wechat_config(wechat_fake.url))
    runner = app.test_cli_runner()
    with app.app_context():
        org = make_org(name="中共测试海报第三支部委员会")
        member = make_member(org)
        db.session.commit()
        org_id, member_id = org.id, member.id
    result = runner.invoke(args=["qr", "poster", "--org", "中共测试海报第三支部委员会",
                                 "-o", str(tmp_path / "p.pdf")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["qr", "member", "--member", str(member_id),
                                 "-o", str(tmp_path / "m.png")])
    assert result.exit_code == 0, result.output
    poster, own = [r["body"] for r in wechat_fake.requests if r["path"] == "/cgi-bin/qrcode/create"]
    assert poster == {"action_name": "QR_LIMIT_STR_SCENE",
                      "action_info": {"scene": {"scene_str": f"o{org_id}"}}}
    assert own["action_name"] == "QR_STR_SCENE" and own["expire_seconds"] == 30 * 24 * 3600
    assert own["action_info"]["scene"]["scene_str"] == f"m{member_id}"
    with Image.open(tmp_path / "m.png") as image:
        assert image.format == "PNG" and image.width == image.height >= 21 * 12


def test_a_member_qr_without_wechat_points_at_the_start_page(app: Flask, runner: Any,
                                                             tmp_path: Path) -> None:
    with app.app_context():
        member = make_member(make_org())
        db.session.commit()
        member_id = member.id
    result = runner.invoke(args=["qr", "member", "--member", str(member_id), "-o",
                                 str(tmp_path / "m.png")])
    assert result.exit_code == 0, result.output
    assert f"/bind/start/m{member_id}" in result.output
    missing = runner.invoke(args=["qr", "member", "--member", "999999", "-o",
                                  str(tmp_path / "n.png")])
    assert missing.exit_code != 0 and "不存在" in missing.output
