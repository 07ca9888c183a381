"""No admin page scrolls sideways: every admin page, as every role signed in through the real
form, in real Chromium on a 390 px phone and a 1366 px office screen, before any campaign and
with two. Wide tables scroll inside their own box; the page itself never does.

Screenshots: build/screenshots/admin-<width>-<state>-<page>.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from testkit.admin import PASSWORD, ROLE_NAMES
from tests.admin_browser import CHROMIUM, CHROMIUM_ARGS
from tests.admin_browser import sign_in as form_sign_in
from tests.admin_states import build_state
from tests.browser_helpers import fits_width, live_server, new_page, requires_chromium, shot
from tests.test_admin_states import build_url, get_rules

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# On an office screen every navigation entry shows at once (a phone scrolls the strip).
NAV_SCROLLS = ("(n => !!n && n.scrollWidth > n.clientWidth + 1)"
               "(document.querySelector('header nav'))")


@pytest.fixture
def chromium() -> Iterator[Any]:
    """A Chromium of this test's own, closed after it, as the other admin browser tests do
    (Playwright's sync API allows one running instance at a time)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _pages(app: Flask, state: Any) -> list[tuple[str, str]]:
    """(name, url) of every admin page a person opens (not the JSON API, not downloads)."""
    pages = []
    for rule in get_rules(app):
        if rule.rule.startswith("/admin/api/") or re.search(r"\.\w+$", rule.rule):
            continue
        url, _ = build_url(rule, state)
        pages.append((rule.endpoint.removeprefix("admin_").replace(".", "-"), url))
    return pages


@requires_chromium
@pytest.mark.browser
@pytest.mark.parametrize("name", ("empty", "two"))
def test_no_admin_page_scrolls_sideways(app: Flask, chromium: Any, name: str) -> None:
    state = build_state(app, name)
    pages = _pages(app, state)
    too_wide = []
    shown: set[tuple[int, str]] = set()
    with live_server(app) as base:
        for viewport, mobile in ((PHONE, True), (DESKTOP, False)):
            for role in ROLE_NAMES:
                with new_page(chromium, base, viewport=viewport, mobile=mobile) as page:
                    form_sign_in(page, base, state.usernames[role], PASSWORD)
                    for page_name, url in pages:
                        response = page.goto(base + url)
                        if not fits_width(page):
                            width = page.evaluate("document.documentElement.scrollWidth")
                            too_wide.append(f"{viewport['width']}px {role} {url}: {width}px")
                        if not mobile and page.evaluate(NAV_SCROLLS):
                            too_wide.append(f"{viewport['width']}px {role} {url}: navigation")
                        # Each page once per width, as the first role allowed to see it.
                        if response.ok and (viewport["width"], page_name) not in shown:
                            shown.add((viewport["width"], page_name))
                            shot(page, f"admin-{viewport['width']}-{name}-{page_name}")
    assert not too_wide, "\n".join(too_wide)
