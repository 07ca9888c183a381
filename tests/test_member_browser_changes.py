"""The re-issued card in a real Chromium at 360 px: changed items first and highlighted, the
old value beside the new, the 朗读 button shown with speech synthesis and hidden without."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from service.campaign import workflow
from service.extensions import db
from tests.browser_helpers import (
    fits_width,
    new_page,
    requires_chromium,
    shot,
)
from tests.card_page_helpers import carded, current

pytestmark = [pytest.mark.browser, requires_chromium]




def test_reissued_card_at_360px(served: tuple[Flask, str], browser: Any) -> None:
    app, base = served
    c = carded(app)
    with app.app_context():
        workflow.edit_record(c.member_id, {"address": "北京市东城区更正路8号"},
                             actor="admin:1", basis="户口簿")
        db.session.commit()
    _, token, _ = current(app, c)
    with new_page(browser, base) as page:
        page.goto(f"{base}/m/{token}")
        first = page.locator(".items .item").first
        assert first.get_attribute("data-key") == "address"
        assert "changed" in (first.get_attribute("class") or "")
        assert "原为" in first.inner_text() and "北京市东城区更正路8号" in first.inner_text()
        background = first.evaluate("e => getComputedStyle(e).backgroundColor")
        assert background not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
        has_speech = page.evaluate("'speechSynthesis' in window")
        assert page.locator("#read-aloud").is_visible() == has_speech
        assert fits_width(page)
        shot(page, "member-reissued-card")
    with new_page(browser, base) as page:  # a browser without speech synthesis
        page.add_init_script("delete window.speechSynthesis;"
                             "delete window.SpeechSynthesisUtterance;"
                             "delete Window.prototype.speechSynthesis;")
        page.goto(f"{base}/m/{token}")
        assert page.evaluate("'speechSynthesis' in window") is False
        assert page.locator("#read-aloud").is_hidden()
