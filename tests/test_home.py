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
