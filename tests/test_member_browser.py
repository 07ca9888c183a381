"""The member's side in a real browser at 360×640: the SMS link, confirm, dispute, expired link.

After each path the ledger must hold each piece of evidence exactly once.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from service.campaign import workflow
from service.evidence import ledger
from service.extensions import db
from service.models import Card, CorrectionRequest, OutboxMessage
from service.notify.dispatch import drain
from service.notify.messages import compose
from tests.browser_helpers import (
    fits_width,
    new_page,
    requires_chromium,
    shot,
)
from tests.card_page_helpers import Carded, carded, count, current, expired_token

pytestmark = [pytest.mark.browser, requires_chromium]




def _sms_link(app: Flask, c: Carded) -> str:
    """Send the outbox (console channel) and return the link in the member's SMS text."""
    with app.app_context():
        drain("test", once=True)
        row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.card_id == c.card_id))
        text = compose(row).text
    found = re.search(r"https?://\S+", text)
    assert found, text
    return found[0]


def _tap_target_ok(page: Any, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and box["height"] >= 48 and box["width"] >= 200


def test_sms_short_link_confirm_once(served: tuple[Flask, str], browser: Any) -> None:
    app, base = served
    c = carded(app)
    link = _sms_link(app, c)
    assert link == f"{base}/s/{c.slug}"
    with new_page(browser, base) as page:
        page.goto(link)
        page.get_by_text(f"{c.name}同志，请核对您的党员信息").wait_for()
        assert c.id_number not in page.content()
        assert fits_width(page) and _tap_target_ok(page, "#confirm-btn")
        shot(page, "member-card")
        page.locator("#confirm-btn").click()  # without ticking consent: the browser asks
        assert page.locator("#consent-box").evaluate("el => !el.validity.valid")
        assert count(app, ledger.CONFIRMED) == 0
        page.locator("#consent-box").check()
        page.locator("#confirm-btn").click()
        page.get_by_text("您的信息已确认").wait_for()
        evidence = page.locator("#evidence-id").inner_text()
        shot(page, "member-confirmed")
        page.go_back()  # the member goes back and taps again
        page.wait_for_load_state()
        if page.locator("#confirm-btn").count():
            if page.locator("#consent-box").count():
                page.locator("#consent-box").check()
            page.locator("#confirm-btn").click()
        page.get_by_text("您的信息已确认").wait_for()
        assert page.locator("#evidence-id").inner_text() == evidence
        assert fits_width(page)
    assert count(app, ledger.OPENED, card_id=c.card_id) == 1
    assert count(app, ledger.CONSENT, member_id=c.member_id) == 1
    assert count(app, ledger.CONFIRMED, member_id=c.member_id) == 1
    assert ledger.evidence_id(_seq(app, ledger.CONFIRMED, c.card_id)) == evidence


def test_dispute_a_field(served: tuple[Flask, str], browser: Any) -> None:
    app, base = served
    c = carded(app)
    link = _sms_link(app, c)
    with new_page(browser, base) as page:
        page.goto(link)
        page.locator("#dispute-btn").click()
        page.get_by_text("哪一项信息有误？").wait_for()
        page.wait_for_load_state("load")  # the stylesheet hides the inputs of unticked items
        expect(page.locator("#v_education")).to_be_hidden()
        page.locator("label[for=f_education]").click()
        expect(page.locator("#v_education")).to_be_visible()
        page.locator("#v_education").select_option(label="大专")
        page.locator("#note").fill("我是大专毕业，毕业证在家中")
        shot(page, "member-dispute-form")
        assert fits_width(page) and _tap_target_ok(page, "#submit-dispute")
        page.locator("#submit-dispute").click()
        page.get_by_text("修改意见已提交，请等待党支部处理").wait_for()
        assert "改为：大专" in page.content()
        shot(page, "member-dispute-waiting")
        page.reload()  # reloading the result page changes nothing
        page.get_by_text("修改意见已提交，请等待党支部处理").wait_for()
    assert count(app, ledger.DISPUTED, member_id=c.member_id) == 1
    assert count(app, ledger.OPENED, card_id=c.card_id) == 1
    assert count(app, ledger.CONFIRMED) == 0
    with app.app_context():
        requests = db.session.scalars(select(CorrectionRequest)).all()
        assert [(r.fields, r.note) for r in requests] == [
            (["education"], "我是大专毕业，毕业证在家中")]


def test_expired_and_wrong_links(served: tuple[Flask, str], browser: Any) -> None:
    app, base = served
    c = carded(app)
    with app.app_context():
        card_hash = db.session.get(Card, c.card_id).sha256
    old = expired_token(app, c.card_id, card_hash, age=61 * 24 * 3600)
    with new_page(browser, base) as page:
        response = page.goto(f"{base}/m/{old}")
        assert response is not None and response.status == 410
        page.get_by_text("链接已过期").wait_for()
        assert page.locator("#confirm-btn").count() == 0 and fits_width(page)
        shot(page, "member-expired")
        response = page.goto(f"{base}/s/{c.slug[:-1]}Z9")
        assert response is not None and response.status == 404
        page.get_by_text("链接无效").wait_for()
        shot(page, "member-invalid")
    assert count(app, ledger.OPENED) == 0 and count(app, ledger.CONFIRMED) == 0


def test_record_changed_while_reading(served: tuple[Flask, str], browser: Any) -> None:
    app, base = served
    c = carded(app)
    link = _sms_link(app, c)
    with new_page(browser, base) as page:
        page.goto(link)
        page.locator("#consent-box").check()
        with app.app_context():  # the branch fixes the address while the member reads
            workflow.edit_record(c.member_id, {"address": "北京市东城区更正路8号"},
                                 actor="admin:1", basis="户口簿")
            db.session.commit()
        page.locator("#confirm-btn").click()
        page.get_by_text("您的信息已更新，请核对最新内容").wait_for()
        assert "北京市东城区更正路8号" in page.content()
        shot(page, "member-updated")
        page.locator("#consent-box").check()  # nothing was confirmed: consent is still asked
        page.locator("#confirm-btn").click()
        page.get_by_text("您的信息已确认").wait_for()
    new_id, _, _ = current(app, c)
    assert count(app, ledger.CONFIRMED, card_id=c.card_id) == 0
    assert count(app, ledger.CONFIRMED, card_id=new_id) == 1
    assert count(app, ledger.CONSENT, member_id=c.member_id) == 1


def _seq(app: Flask, kind: str, card_id: int) -> int:
    from service.models import EvidenceEntry

    with app.app_context():
        return int(db.session.scalar(select(EvidenceEntry.seq).where(
            EvidenceEntry.kind == kind, EvidenceEntry.card_id == card_id)))
