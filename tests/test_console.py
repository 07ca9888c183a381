"""The demo's console page: filters by branch and member name, and where its links point."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from service.campaign.campaigns import start_campaign
from service.campaign.notices import post
from service.clock import today_local
from service.extensions import db
from service.notify.dispatch import drain
from service.unit_of_work import run_unit
from testkit.factories import make_member, make_org

ROOT = Path(__file__).resolve().parent.parent
NAMES = (("张建国", "李秀英"), ("王建华", "赵丽"))  # branch 1, branch 2


@pytest.fixture
def app(make_app: Any) -> Flask:
    """The console page exists only in demo mode."""
    return make_app(DEMO=True)


def _world(app: Flask) -> list[int]:
    """Two branches with two named members each, a campaign's cards sent, and an admin notice;
    return the branch ids."""
    with app.app_context():
        root = make_org(name="中共控制台测试委员会")
        branches = [make_org(root, name=f"中共控制台测试第{n}支部委员会") for n in (1, 2)]
        for branch, names in zip(branches, NAMES, strict=True):
            for name in names:
                make_member(branch, name=name)
        db.session.commit()
        run_unit(lambda: start_campaign(root, today_local() + timedelta(days=9), actor="t"))
        run_unit(lambda: post("note:1", to="管理员甲", text="测试通知：请查看待办", org_id=root.id))
        drain("w", once=True)
        return [b.id for b in branches]


def _page(app: Flask, query: str = "") -> str:
    resp = app.test_client().get("/console" + query)
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_the_branch_filter_lists_branches_with_messages_and_keeps_one(app: Flask) -> None:
    b1, b2 = _world(app)
    everything = _page(app)
    assert all(n in everything for names in NAMES for n in names)
    assert "测试通知" in everything
    assert f'<option value="{b1}">中共控制台测试第1支部委员会</option>' in everything
    assert f'<option value="{b2}">中共控制台测试第2支部委员会</option>' in everything
    assert "中共控制台测试委员会</option>" not in everything  # no member messages there
    one = _page(app, f"?branch={b2}")
    assert "王建华" in one and "赵丽" in one
    assert "张建国" not in one and "李秀英" not in one and "测试通知" not in one
    assert f'<option value="{b2}" selected>' in one
    assert one.count('href="/s/') == 2


def test_the_name_filter_matches_part_of_a_name(app: Flask) -> None:
    _world(app)
    page = _page(app, "?name=建")
    assert "张建国" in page and "王建华" in page
    assert "李秀英" not in page and "赵丽" not in page and "测试通知" not in page
    assert 'value="建"' in page
    both = _page(app, "?name=%E5%BB%BA&branch=")  # 建, with the select left on 全部
    assert both.count('href="/s/') == 2
    assert "没有符合筛选条件的消息" in _page(app, "?name=%25")  # % is a character, not a wildcard


def test_message_links_follow_the_configured_address(make_app: Any) -> None:
    app = make_app(PUBLIC_BASE_URL="http://127.0.0.1:8080", DEMO=True)
    _world(app)
    page = _page(app)
    assert page.count("详情：http://127.0.0.1:8080/s/") == 4
    assert ":5000" not in page
    assert 'href="/s/' in page  # the clickable link stays on the server the page came from


def _demo_env(tmp_path: Path, **env: str) -> dict[str, str]:
    """Run tools/demo.sh with a stand-in flask that records its environment and arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    fake = bin_dir / "flask"
    # the sender and the scheduler wait to be stopped; the web app records and leaves
    fake.write_text('#!/bin/sh\n[ "$3" = run ] || exec sleep 30\n'
                    f'printf "%s\\n" "$FLASK_PUBLIC_BASE_URL" "$*" > {tmp_path}/seen\n')
    fake.chmod(0o755)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "DEMO_"))}
    done = subprocess.run([str(ROOT / "tools" / "demo.sh")], env={**base, **env,
                          "BIN": str(bin_dir)}, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    url, args = (tmp_path / "seen").read_text().splitlines()
    return {"url": url, "args": args, "out": done.stdout}


def test_demo_script_points_links_at_the_demo_port(tmp_path: Path) -> None:
    seen = _demo_env(tmp_path, DEMO_PORT="8080")
    assert seen["url"] == "http://127.0.0.1:8080"
    assert "--port 8080" in seen["args"] and "http://127.0.0.1:8080/" in seen["out"]


def test_demo_script_on_every_address_and_with_an_explicit_address(tmp_path: Path) -> None:
    assert _demo_env(tmp_path / "a", DEMO_HOST="0.0.0.0")["url"] == "http://127.0.0.1:5000"
    explicit = _demo_env(tmp_path / "b", DEMO_PORT="8080",
                         FLASK_PUBLIC_BASE_URL="https://demo.example.org")
    assert explicit["url"] == "https://demo.example.org"
