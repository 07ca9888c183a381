"""A member's proof of identity: it expires, it holds for one card, and expired links get none."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

from flask import Flask
from sqlalchemy import update

from service.clock import now_utc
from service.extensions import db
from service.identity.member_session import VERIFIED_KEY
from service.models import Card, Member, OtpCode
from service.roster.members import update_member
from tests.binding_helpers import codes_queued, csrf_of, last_code, text
from tests.card_page_helpers import Carded, carded, current, expired_token

SIXTY_ONE_DAYS = 61 * 24 * 3600


def _verify(app: Flask, client: Any, token: str, member_id: int) -> None:
    """Prove by SMS code that the browser is the member, from the card's "show full ID" link."""
    next_path = f"/m/{token}/full"
    page = client.get(f"/verify?next={quote(next_path)}")
    csrf = csrf_of(page.data)
    client.post("/verify", data={"csrf_token": csrf, "next": next_path, "action": "send"})
    with app.app_context():
        code = last_code(member_id)
    done = client.post("/verify", data={"csrf_token": csrf, "next": next_path, "action": "check",
                                        "code": code})
    assert done.status_code == 302 and done.headers["Location"] == next_path


def _age_proof(client: Any, by: timedelta) -> None:
    with client.session_transaction() as session:
        proof = session[VERIFIED_KEY]
        proof["at"] = (datetime.fromisoformat(proof["at"]) - by).isoformat()
        session[VERIFIED_KEY] = proof


def _shows_full_id(client: Any, c: Carded, token: str | None = None) -> bool:
    answer = client.get(f"/m/{token or c.token}/full")
    if answer.status_code == 302:
        assert unquote(answer.headers["Location"]).startswith("/verify?next=/m/")
        return False
    assert answer.status_code == 200
    return c.id_number in text(answer)


def test_the_proof_expires_after_the_set_minutes(app: Flask) -> None:
    c = carded(app)
    client = app.test_client()
    _verify(app, client, c.token, c.member_id)
    assert _shows_full_id(client, c)
    _age_proof(client, timedelta(minutes=29))
    assert _shows_full_id(client, c)
    _age_proof(client, timedelta(minutes=2))  # 31 minutes old now
    assert not _shows_full_id(client, c)
    # and /verify asks again instead of sending the browser straight back
    again = client.get(f"/verify?next={quote(f'/m/{c.token}/full')}")
    assert again.status_code == 200 and "验证码" in text(again)


def test_the_lifetime_is_a_setting(make_app: Any) -> None:
    app = make_app(MEMBER_VERIFIED_MINUTES=5)
    c = carded(app)
    client = app.test_client()
    _verify(app, client, c.token, c.member_id)
    _age_proof(client, timedelta(minutes=4))
    assert _shows_full_id(client, c)
    _age_proof(client, timedelta(minutes=2))
    assert not _shows_full_id(client, c)


def test_a_proof_from_the_future_is_not_trusted(app: Flask) -> None:
    c = carded(app)
    client = app.test_client()
    _verify(app, client, c.token, c.member_id)
    _age_proof(client, -timedelta(days=1))
    assert not _shows_full_id(client, c)


def test_the_proof_holds_for_the_card_it_was_made_for(app: Flask) -> None:
    c = carded(app)
    client = app.test_client()
    _verify(app, client, c.token, c.member_id)
    assert _shows_full_id(client, c)
    with app.app_context():  # the branch corrects the record: the member gets a new card
        from service.campaign.workflow import record_changed

        update_member(db.session.get(Member, c.member_id), {"address": "别处2号"}, actor="x",
                      source="admin_edit", basis=None)
        record_changed(c.member_id, actor="x")
        db.session.commit()
    new_id, new_token, _ = current(app, c)
    assert new_id != c.card_id
    with client.session_transaction() as session:  # the same member, a fresh proof, card A
        assert session[VERIFIED_KEY]["id"] == c.member_id
        assert session[VERIFIED_KEY]["card"] == c.card_id
        assert now_utc() - datetime.fromisoformat(session[VERIFIED_KEY]["at"]) < timedelta(
            minutes=5)
    assert not _shows_full_id(client, c, new_token)
    with app.app_context():  # the first code went out minutes ago (one SMS a minute)
        db.session.execute(update(OtpCode).values(created_at=now_utc() - timedelta(minutes=2)))
        db.session.commit()
    _verify(app, client, new_token, c.member_id)
    assert _shows_full_id(client, c, new_token)


def test_verify_refuses_an_expired_card_link_and_sends_no_code(app: Flask) -> None:
    c = carded(app)
    with app.app_context():
        card_hash = db.session.get(Card, c.card_id).sha256
    old = expired_token(app, c.card_id, card_hash, age=SIXTY_ONE_DAYS)
    client = app.test_client()
    for next_path in (f"/m/{old}", f"/m/{old}/full"):
        page = client.get(f"/verify?next={quote(next_path)}")
        assert page.status_code == 410 and "链接已过期" in text(page)
        assert "验证码" not in text(page)
    fresh = client.get(f"/verify?next={quote(f'/m/{c.token}')}")  # a form token to post with
    sent = client.post("/verify", data={"csrf_token": csrf_of(fresh.data), "next": f"/m/{old}",
                                        "action": "send"})
    assert sent.status_code == 410 and "链接已过期" in text(sent)
    with app.app_context():
        assert codes_queued(c.member_id) == 0


def test_verify_refuses_an_expired_short_link_and_sends_no_code(app: Flask) -> None:
    c = carded(app)
    with app.app_context():
        db.session.get(Card, c.card_id).issued_at = now_utc() - timedelta(seconds=SIXTY_ONE_DAYS)
        db.session.commit()
    client = app.test_client()
    page = client.get(f"/verify?next=/s/{c.slug}")
    assert page.status_code == 410 and "链接已过期" in text(page)
    fresh = client.get(f"/verify?next={quote(f'/m/{c.token}')}")
    sent = client.post("/verify", data={"csrf_token": csrf_of(fresh.data), "next": f"/s/{c.slug}",
                                        "action": "send"})
    assert sent.status_code == 410
    with app.app_context():
        assert codes_queued(c.member_id) == 0
