"""A re-issued card leads with what changed (old beside new), reads aloud where the phone can,
and the verify page's back link returns to the card."""

from __future__ import annotations

import re

from flask import Flask

from service.campaign import workflow
from service.extensions import db
from tests.card_page_helpers import carded, current


def _reissue(app: Flask, member_id: int) -> None:
    with app.app_context():
        workflow.edit_record(member_id, {"address": "北京市东城区更正路8号", "job": "04"},
                             actor="admin:1", basis="户口簿")
        db.session.commit()


def test_first_card_has_no_changed_items_but_a_read_aloud_button(app: Flask) -> None:
    c = carded(app)
    html = app.test_client().get(f"/m/{c.token}").get_data(as_text=True)
    assert 'id="read-aloud"' in html and "朗读" in html and "read_aloud.js" in html
    assert 'id="changed"' not in html and "原为" not in html


def test_reissued_card_shows_changed_items_first_with_old_values(app: Flask) -> None:
    c = carded(app)
    before = app.test_client().get(f"/m/{c.token}").get_data(as_text=True)
    old_address = re.search(r'data-key="address">.*?item-value[^>]*>([^<]+)<', before, re.S)[1]
    _reissue(app, c.member_id)
    _, token, _ = current(app, c)
    html = app.test_client().get(f"/m/{token}").get_data(as_text=True)
    assert "有 2 项信息已更新" in html
    keys = re.findall(r'class="weui-cell item( changed)?" data-key="(\w+)"', html)
    assert [k for _, k in keys[:2]] == ["job", "address"]  # changed first, in form order
    assert [bool(flag) for flag, _ in keys] == [True, True] + [False] * (len(keys) - 2)
    assert f"原为：<del>{old_address.strip()}</del>" in html
    assert "北京市东城区更正路8号" in html


def test_read_aloud_script_hides_the_button_without_speech_synthesis(app: Flask) -> None:
    script = app.test_client().get("/static/read_aloud.js").get_data(as_text=True)
    assert '"speechSynthesis" in window' in script and "button.hidden = true" in script
    assert 'lang = "zh-CN"' in script


def test_verify_back_link_returns_to_the_card(app: Flask) -> None:
    c = carded(app)
    html = app.test_client().get(f"/verify?next=/m/{c.token}/full").get_data(as_text=True)
    assert f'href="/m/{c.token}" id="back-to-card"' in html
