"""Short links: the SMS carries /s/<slug>; slugs are unguessable and guessing is slowed down."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask

from service.bot.pages import shortlinks
from service.clock import now_utc
from service.evidence import ledger
from service.extensions import db
from service.links import card_link, dispute_link
from service.models import Card, OutboxMessage
from service.models.campaign import LINK_SLUG_LENGTH, new_link_slug
from service.notify.messages import compose
from tests.card_page_helpers import carded, count


def test_every_card_gets_a_random_slug_and_card_link_is_short(app: Flask) -> None:
    c = carded(app, members_per_branch=3)
    with app.app_context():
        cards = db.session.query(Card).all()
        slugs = {card.link_slug for card in cards}
        assert len(slugs) == len(cards) == 6
        assert all(re.fullmatch(r"[A-Za-z0-9]{12}", s) for s in slugs)
        card = db.session.get(Card, c.card_id)
        link = card_link(card)
        assert link == f"http://127.0.0.1:5000/s/{c.slug}" and len(link) < 40
        assert dispute_link(card) == f"{link}/dispute"
        row = db.session.query(OutboxMessage).filter_by(card_id=c.card_id).one()
        assert compose(row).link == link and link in compose(row).text


def test_new_slugs_do_not_repeat() -> None:
    slugs = [new_link_slug() for _ in range(2000)]
    assert len(set(slugs)) == len(slugs)
    assert all(len(s) == LINK_SLUG_LENGTH >= 10 for s in slugs)


def test_short_link_opens_the_card_and_the_dispute_form(app: Flask) -> None:
    c = carded(app)
    client = app.test_client()
    resp = client.get(f"/s/{c.slug}")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/m/")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert c.name in page and "信息无误，确认" in page
    to_form = client.get(f"/s/{c.slug}/dispute")
    assert to_form.status_code == 302 and to_form.headers["Location"].endswith("/dispute")
    assert "哪一项信息有误" in client.get(to_form.headers["Location"]).get_data(as_text=True)
    assert count(app, ledger.OPENED, card_id=c.card_id) == 1


def test_wrong_or_differently_cased_slug_is_not_found(app: Flask) -> None:
    c = carded(app)
    client = app.test_client()
    for slug in ("AAAAAAAAAAAA", c.slug.swapcase(), c.slug[:-1], "short", c.slug + "%27--"):
        resp = client.get(f"/s/{slug}")
        assert resp.status_code == 404, slug
        assert "链接无效" in resp.get_data(as_text=True)


def test_guessing_is_slowed_down_politely(make_app) -> None:
    app = make_app(MEMBER_LINK_MISS_LIMIT=3)
    c = carded(app)
    client = app.test_client()
    for i in range(3):
        assert client.get(f"/s/guess{i:07d}").status_code == 404
    blocked = client.get(f"/s/{c.slug}")  # even a right slug: the answer must reveal nothing
    assert blocked.status_code == 429
    assert "尝试次数过多，请稍后再试" in blocked.get_data(as_text=True)
    other = client.get(f"/s/{c.slug}", environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert other.status_code == 302  # another address is not affected


def test_miss_limiter_forgets_after_the_window(make_app) -> None:
    with make_app(MEMBER_LINK_MISS_LIMIT=2, MEMBER_LINK_MISS_WINDOW=0).app_context():
        shortlinks.miss("a")
        shortlinks.miss("a")
        assert not shortlinks.blocked("a")  # a zero window keeps nothing
    with make_app(MEMBER_LINK_MISS_LIMIT=2, MEMBER_LINK_MISS_WINDOW=3600).app_context():
        shortlinks.miss("a")
        assert not shortlinks.blocked("a")
        shortlinks.miss("a")
        assert shortlinks.blocked("a") and not shortlinks.blocked("b")


def test_misses_count_in_the_database_for_every_process(make_app) -> None:
    # Two apps stand for two web processes: a guesser spreading tries over both is still
    # stopped, because the count lives in the database, not in either process.
    first, second = make_app(MEMBER_LINK_MISS_LIMIT=4), make_app(MEMBER_LINK_MISS_LIMIT=4)
    carded(first)
    for i in range(4):
        app = (first, second)[i % 2]
        assert app.test_client().get(f"/s/guess{i:07d}").status_code == 404
    assert second.test_client().get("/s/guess0000009").status_code == 429
    assert first.test_client().get("/s/guess0000009").status_code == 429


def test_short_link_of_an_old_card_has_expired(app: Flask) -> None:
    c = carded(app)
    with app.app_context():
        db.session.get(Card, c.card_id).issued_at = now_utc() - timedelta(days=61)
        db.session.commit()
    resp = app.test_client().get(f"/s/{c.slug}")
    assert resp.status_code == 410 and "链接已过期" in resp.get_data(as_text=True)


def test_console_page_links_to_the_short_link(make_app: Any) -> None:
    app = make_app(DEMO=True)  # the page exists in demo mode only
    c = carded(app)
    with app.app_context():
        from service.notify.dispatch import drain
        drain("w", once=True)
    page = app.test_client().get("/console").get_data(as_text=True)
    assert f'href="/s/{c.slug}"' in page


def test_migration_gives_cards_issued_before_it_their_own_slugs(tmp_path) -> None:
    import flask_migrate
    import sqlalchemy as sa

    from service import create_app
    from tests.conftest import TEST_DATA_KEY

    app = create_app({"TESTING": True, "SECRET_KEY": "k", "DATA_KEY": TEST_DATA_KEY,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"},
                     instance_path=str(tmp_path / "instance"))
    with app.app_context():
        flask_migrate.upgrade(revision="0009")
        with db.engine.begin() as conn:  # two cards as 0009 knew them (SQLite: no FK checks)
            for i in (1, 2):
                conn.execute(sa.text(
                    "INSERT INTO cards (id, campaign_id, member_id, content, sha256, "
                    "member_revision, short_code, open_code, issued_at) VALUES "
                    f"({i}, 1, {i}, 'x', '{i:064d}', 1, 'C{i}', 'C{i}', '2026-01-01')"))
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            slugs = conn.execute(sa.text("SELECT link_slug FROM cards")).scalars().all()
        flask_migrate.downgrade(revision="0009")
        db.engine.dispose()
    assert len(set(slugs)) == 2 and all(re.fullmatch(r"[A-Za-z0-9]{12}", s) for s in slugs)
