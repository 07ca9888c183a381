"""Many taps at once on a real threaded server: one confirmation, one consent, same page for all."""

from __future__ import annotations

import http.client
import threading
from urllib.parse import urlencode, urlsplit

from flask import Flask

from service.evidence import ledger
from tests.browser_helpers import live_server
from tests.card_page_helpers import carded, count, csrf_of

TAPS = 6


def _post_all(base: str, path: str, body: bytes, cookie: str) -> list[tuple[int, str]]:
    host = urlsplit(base)
    results: list[tuple[int, str]] = []
    gate = threading.Barrier(TAPS)

    def tap() -> None:
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        try:
            gate.wait()
            conn.request("POST", path, body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
            resp = conn.getresponse()
            resp.read()
            results.append((resp.status, resp.getheader("Location") or ""))
        finally:
            conn.close()

    threads = [threading.Thread(target=tap) for _ in range(TAPS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_simultaneous_confirms_record_one_confirmation(app: Flask) -> None:
    c = carded(app)
    client = app.test_client()
    page = client.get(f"/m/{c.token}").get_data(as_text=True)
    cookie = f"session={client.get_cookie('session').value}"
    body = urlencode({"csrf_token": csrf_of(page), "consent": "yes"}).encode()
    with live_server(app) as base:
        results = _post_all(base, f"/m/{c.token}/confirm", body, cookie)
    assert len(results) == TAPS
    assert {status for status, _ in results} == {303}
    assert {location for _, location in results} == {f"/m/{c.token}"}
    assert count(app, ledger.CONFIRMED, member_id=c.member_id) == 1
    assert count(app, ledger.CONSENT, member_id=c.member_id) == 1


def test_simultaneous_disputes_record_one_request(app: Flask) -> None:
    c = carded(app)
    client = app.test_client()
    page = client.get(f"/m/{c.token}/dispute").get_data(as_text=True)
    cookie = f"session={client.get_cookie('session').value}"
    body = urlencode({"csrf_token": csrf_of(page), "field": "education", "v_education": "22"})
    with live_server(app) as base:
        results = _post_all(base, f"/m/{c.token}/dispute", body.encode(), cookie)
    assert {status for status, _ in results} == {303}
    assert count(app, ledger.DISPUTED, member_id=c.member_id) == 1
