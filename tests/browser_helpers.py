"""Browser tests: serve a Flask app on 127.0.0.1 from a real threaded server, drive Chromium.

Reusable by any page's tests::

    from tests.browser_helpers import browser, live_server, new_page, requires_chromium, shot

    @requires_chromium
    @pytest.mark.browser
    def test_x(app, browser):
        with live_server(app) as base, new_page(browser, base) as page:
            page.goto(base + "/")
            shot(page, "x-home")

Chromium is Debian's /usr/bin/chromium (never downloaded). Every request the page makes to
anything but the live server is aborted and reported, so a page that reaches for a CDN fails
its test and no test leaves the machine.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE = {"width": 360, "height": 640}
SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"

requires_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM}: browser tests skipped")


@contextmanager
def live_server(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free 127.0.0.1 port in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the test session."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                      headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def served(app: Flask) -> Iterator[tuple[Flask, str]]:
    """The test app behind a live server whose address is the public one in messages."""
    with live_server(app) as base:
        app.config["PUBLIC_BASE_URL"] = base
        yield app, base


@contextmanager
def new_page(browser: Any, base: str, viewport: dict[str, int] | None = None,
             mobile: bool = True) -> Iterator[Any]:
    """Open a fresh browser context (own cookies) and page; fail on off-server requests."""
    context = browser.new_context(
        viewport=viewport or PHONE, is_mobile=mobile, has_touch=mobile, locale="zh-CN",
        device_scale_factor=2 if mobile else 1,
        user_agent="Mozilla/5.0 (Linux; Android 8.1.0; test phone) Chrome/120 Mobile Safari/537.36"
        if mobile else None,
    )
    stray: list[str] = []

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith(base + "/") or url == base:
            route.continue_()
        else:
            stray.append(url)
            route.abort()

    context.route("**/*", guard)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
    assert not stray, f"the page tried to reach beyond the live server: {stray}"


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as build/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def fits_width(page: Any) -> bool:
    """Return whether the page needs no sideways scrolling at its viewport width.

    Compared with the width the page was opened at: a phone browser zooms a page that is too
    wide out to show all of it, and ``innerWidth`` then grows with the page.
    """
    return bool(page.evaluate("document.documentElement.scrollWidth")
                <= page.viewport_size["width"] + 1)
