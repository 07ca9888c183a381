"""/verify: a card holder proves it is them with a code to the phone on record, then goes back."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Flask

from service.campaign.outstanding import awaiting
from service.extensions import db
from service.links import card_link
from service.models import Card
from testkit.workflow import started
from tests.binding_helpers import codes_queued, csrf_of, last_code, path_of, text, wrong


def _card_path() -> tuple[str, Any]:
    _, members = started()
    member = members[0]
    db.session.expire_all()
    card = db.session.get(Card, awaiting(member.id)[0].card_id)
    return path_of(card_link(card)), member


def _verify_url(card_path: str) -> str:
    return f"/verify?next={quote(card_path)}"


def test_code_to_the_phone_on_record_verifies_the_session(app: Flask) -> None:
    client = app.test_client()
    with app.app_context():
        card_path, member = _card_path()
        page = client.get(_verify_url(card_path))
        body = text(page)
        masked = member.mobile[:3] + "****" + member.mobile[-4:]
        assert page.status_code == 200 and masked in body and member.mobile not in body
        csrf = csrf_of(page.data)
        sent = client.post("/verify", data={"csrf_token": csrf, "next": card_path,
                                            "action": "send"})
        assert f"验证码已发送到手机{masked}" in text(sent)
        code = last_code(member.id)
        bad = client.post("/verify", data={"csrf_token": csrf, "next": card_path, "action": "check",
                                           "code": wrong(code)})
        assert "验证码不正确，还可以再试4次" in text(bad)
        with client.session_transaction() as session:
            assert "member_verified" not in session
        good = client.post("/verify", data={"csrf_token": csrf, "next": card_path,
                                            "action": "check", "code": code})
        assert good.status_code == 302 and good.headers["Location"] == card_path
        with client.session_transaction() as session:
            assert session["member_verified"] == {**session["member_verified"],
                                                  "id": member.id, "how": "sms_code"}
        # Verified already: the page goes straight back.
        again = client.get(_verify_url(card_path))
        assert again.status_code == 302 and again.headers["Location"] == card_path


def test_an_off_site_next_is_refused(app: Flask) -> None:
    client = app.test_client()
    with app.app_context():
        started()
        for target in ("https://evil.example/m/x", "//evil.example/m/x", "/\\evil.example",
                       "/m/%0a", "javascript:alert(1)"):
            answer = client.get(f"/verify?next={quote(target)}")
            assert answer.status_code in (400, 404), target
            assert "evil" not in answer.headers.get("Location", "")


def test_a_forged_card_token_is_refused(app: Flask) -> None:
    client = app.test_client()
    with app.app_context():
        card_path, _ = _card_path()
        answer = client.get(_verify_url(card_path[:-4] + "AAAA"))
        assert answer.status_code == 400 and "链接无效" in text(answer)


def test_resend_too_soon_is_explained(app: Flask) -> None:
    client = app.test_client()
    with app.app_context():
        card_path, member = _card_path()
        csrf = csrf_of(client.get(_verify_url(card_path)).data)
        client.post("/verify", data={"csrf_token": csrf, "next": card_path, "action": "send"})
        again = client.post("/verify", data={"csrf_token": csrf, "next": card_path,
                                             "action": "send"})
        assert "秒后再重新获取" in text(again) and codes_queued(member.id) == 1


def test_a_member_without_a_mobile_is_told_whom_to_ask(app: Flask) -> None:
    client = app.test_client()
    with app.app_context():
        card_path, member = _card_path()
        member.mobile = None
        db.session.commit()
        page = client.get(_verify_url(card_path))
        assert "没有登记手机号码" in text(page)
