"""The landing page and health check answer."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from service.extensions import db
from testkit.factories import make_member, make_org


def test_landing_page_lists_committees_with_counts(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        root = make_org(name="中共演示县林业局委员会")
        branch = make_org(root)
        make_member(branch)
        make_member(branch)
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "中共演示县林业局委员会" in page
    assert "<td>2</td>" in page  # two orgs and two members in the subtree


def test_empty_landing_page_says_what_to_do(client: FlaskClient) -> None:
    assert "demo seed" in client.get("/").get_data(as_text=True)


def test_healthz(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_unknown_page_is_chinese_html_and_json(client: FlaskClient) -> None:
    assert client.get("/nope").status_code == 404
    assert client.get("/api/nope").get_json()["code"] == 404


def test_favicon_answers_and_every_base_template_links_it(client: FlaskClient) -> None:
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert ico.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    svg = client.get("/favicon.svg")
    assert svg.status_code == 200 and b"<svg" in svg.data and svg.mimetype == "image/svg+xml"
    # The plain pages, the admin pages and the member pages each have their own base.
    for url, base in (("/", "site.css"), ("/admin/login", "admin.css"),
                      ("/m/not-a-token", "weui.min.css")):
        page = client.get(url).get_data(as_text=True)
        assert base in page, url
        assert 'rel="icon" href="/favicon.ico"' in page, url
        assert 'href="/favicon.svg" type="image/svg+xml"' in page, url
