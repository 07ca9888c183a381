"""The mini-program API: login, binding, card, confirm, dispute, status, auth, envelope."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from service.campaign.outstanding import awaiting
from service.evidence import ledger
from service.evidence.verification import verify_chain
from service.extensions import db
from service.models import CorrectionRequest, EvidenceEntry, Member
from service.models.campaign import CONFIRMED, DISPUTED
from service.models.channel import BY_MINI_LOGIN
from testkit.fakes.wechat import FakeWeChat, wechat_config
from testkit.workflow import cm_of, started
from tests.binding_helpers import last_code


@pytest.fixture
def mini(make_app: Callable[..., Flask], wechat_fake: FakeWeChat) -> Iterator[Flask]:
    app = make_app(**wechat_config(wechat_fake.url))
    with app.app_context():
        yield app


class Mini:
    """One mini-program install: logs in with wx.login codes the fake knows."""

    def __init__(self, app: Flask, wechat_fake: FakeWeChat, openid: str) -> None:
        self.client, self.wechat_fake, self.openid = app.test_client(), wechat_fake, openid
        self.token: str | None = None
        self.logins = 0
        wechat_fake.mini_user(openid)

    def login(self) -> Any:
        self.logins += 1
        code = f"js-{self.openid}-{self.logins}"
        self.wechat_fake.js_code(code, self.openid)
        answer = self.client.post("/api/mini/login", json={"code": code})
        if answer.status_code == 200:
            self.token = answer.json["data"]["token"]
        return answer

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def bind(self, member: Member) -> Any:
        tail = member.id_number[-6:]
        sent = self.call("POST", "/api/mini/bind/code", json={"name": member.name,
                                                               "id_tail": tail})
        assert sent.status_code == 200, sent.json
        return self.call("POST", "/api/mini/bind", json={
            "name": member.name, "id_tail": tail, "code": last_code(member.id)})


def _entries(kind: str) -> int:
    return db.session.scalar(select(func.count()).select_from(EvidenceEntry)
                             .where(EvidenceEntry.kind == kind)) or 0


def test_login_returns_our_token_never_the_session_key(mini: Flask,
                                                       wechat_fake: FakeWeChat) -> None:
    started()
    phone = Mini(mini, wechat_fake, "m-openid-1")
    answer = phone.login()
    assert answer.status_code == 200 and answer.json["success"] is True
    data = answer.json["data"]
    assert data["bound"] is False and data["member"] is None and data["token"]
    assert "session_key" not in answer.get_data(as_text=True)
    status = phone.call("GET", "/api/mini/status")
    assert status.json == {"success": True, "data": {"bound": False, "member": None,
                                                      "memberships": []}}


def test_a_reused_login_code_is_refused(mini: Flask, wechat_fake: FakeWeChat) -> None:
    wechat_fake.mini_user("m-openid-1")
    wechat_fake.js_code("once", "m-openid-1")
    client = mini.test_client()
    assert client.post("/api/mini/login", json={"code": "once"}).status_code == 200
    again = client.post("/api/mini/login", json={"code": "once"})
    assert again.status_code == 401 and again.json["success"] is False
    assert "登录凭证无效" in again.json["errors"]["code"]


def test_bind_then_card_then_confirm_twice_gives_one_evidence(
    mini: Flask, wechat_fake: FakeWeChat,
) -> None:
    campaign, members = started()
    member = members[0]
    phone = Mini(mini, wechat_fake, "m-openid-1")
    phone.login()
    assert phone.call("GET", "/api/mini/card").status_code == 403
    bound = phone.bind(member)
    assert bound.status_code == 200
    assert bound.json["data"] == {"bound": True, "repeated": False,
                                  "member": {"name": member.name}}
    [binding] = ledger.entries_for(member.id, ledger.BINDING)
    assert binding.channel == "miniprogram" and BY_MINI_LOGIN in binding.body

    card = phone.call("GET", "/api/mini/card").json["data"]
    shown = {i["field"]: i["value"] for i in card["card"]["items"]}
    assert shown["name"] == member.name and shown["ethnicity"] == "汉族"
    assert shown["id_number"] == member.id_number[:4] + "*" * 10 + member.id_number[-4:]
    assert shown["mobile"] == member.mobile[:3] + "****" + member.mobile[-4:]
    assert card["consent"]["given"] is False and card["more"] == 0
    body = {"card_id": card["card"]["card_id"], "card_hash": card["card"]["card_hash"],
            "consent": True}
    first = phone.call("POST", "/api/mini/confirm", json=body)
    second = phone.call("POST", "/api/mini/confirm", json=body)
    assert first.status_code == second.status_code == 200
    assert first.json["data"]["repeated"] is False and second.json["data"]["repeated"] is True
    assert first.json["data"]["evidence_id"] == second.json["data"]["evidence_id"]
    assert _entries(ledger.CONFIRMED) == 1 and _entries(ledger.CONSENT) == 1
    [entry] = ledger.entries_for(member.id, ledger.CONFIRMED)
    assert entry.channel == "miniprogram" and entry.identity == "bound_openid"
    assert cm_of(campaign.id, member.id).state == CONFIRMED
    status = phone.call("GET", "/api/mini/status").json["data"]
    assert status["bound"] is True and status["memberships"][0]["state"] == CONFIRMED
    assert phone.call("GET", "/api/mini/card").json["data"]["card"] is None
    assert verify_chain().ok


def test_confirm_needs_consent_and_the_current_hash(mini: Flask, wechat_fake: FakeWeChat) -> None:
    _, members = started()
    phone = Mini(mini, wechat_fake, "m-openid-1")
    phone.login()
    phone.bind(members[0])
    card = phone.call("GET", "/api/mini/card").json["data"]["card"]
    no_consent = phone.call("POST", "/api/mini/confirm", json={"card_id": card["card_id"]})
    assert no_consent.status_code == 400 and "consent" in no_consent.json["errors"]
    stale = phone.call("POST", "/api/mini/confirm", json={
        "card_id": card["card_id"], "card_hash": "0" * 64, "consent": True})
    assert stale.status_code == 409 and "card_hash" in stale.json["errors"]
    assert _entries(ledger.CONFIRMED) == 0


def test_someone_elses_card_is_refused(mini: Flask, wechat_fake: FakeWeChat) -> None:
    _, members = started()
    phone = Mini(mini, wechat_fake, "m-openid-1")
    phone.login()
    phone.bind(members[0])
    other_card = awaiting(members[1].id)[0].card_id
    answer = phone.call("POST", "/api/mini/confirm", json={"card_id": other_card,
                                                           "consent": True})
    assert answer.status_code == 403 and answer.json["success"] is False
    assert _entries(ledger.CONFIRMED) == 0


def test_dispute_goes_to_the_branch(mini: Flask, wechat_fake: FakeWeChat) -> None:
    campaign, members = started()
    member = members[0]
    phone = Mini(mini, wechat_fake, "m-openid-1")
    phone.login()
    phone.bind(member)
    card_id = phone.call("GET", "/api/mini/card").json["data"]["card"]["card_id"]
    answer = phone.call("POST", "/api/mini/dispute", json={
        "card_id": card_id, "fields": {"address": "北京市朝阳区新地址8号"}, "note": "已搬家"})
    assert answer.status_code == 200, answer.json
    assert answer.json["data"]["fields"] == ["address"]
    request = db.session.get(CorrectionRequest, answer.json["data"]["request_id"])
    assert request.member_id == member.id
    assert cm_of(campaign.id, member.id).state == DISPUTED
    [entry] = ledger.entries_for(member.id, ledger.DISPUTED)
    assert entry.channel == "miniprogram" and entry.identity == "bound_openid"
    unknown = phone.call("POST", "/api/mini/dispute", json={
        "card_id": card_id, "fields": {"favourite_colour": "红"}})
    assert unknown.status_code in (400, 409) and unknown.json["success"] is False


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic abc", "Bearer "])
def test_a_bad_token_gets_401(mini: Flask, header: str | None) -> None:
    client = mini.test_client()
    headers = {"Authorization": header} if header else {}
    for method, path in (("GET", "/api/mini/card"), ("GET", "/api/mini/status"),
                         ("POST", "/api/mini/confirm"), ("POST", "/api/mini/bind")):
        answer = client.open(path, method=method, headers=headers, json={})
        assert answer.status_code == 401, (path, header)
        assert answer.json["success"] is False and "auth" in answer.json["errors"]
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_signed_with_another_key_gets_401(make_app: Callable[..., Flask],
                                                  mini: Flask, wechat_fake: FakeWeChat) -> None:
    phone = Mini(mini, wechat_fake, "m-openid-1")
    phone.login()
    other = make_app(**wechat_config(wechat_fake.url), SECRET_KEY="another-key")
    answer = other.test_client().get("/api/mini/status",
                                     headers={"Authorization": f"Bearer {phone.token}"})
    assert answer.status_code == 401


def test_wrong_binding_details_fail_alike(mini: Flask, wechat_fake: FakeWeChat) -> None:
    _, members = started()
    member = members[0]
    phone = Mini(mini, wechat_fake, "m-openid-1")
    phone.login()
    tail = member.id_number[-6:]
    phone.call("POST", "/api/mini/bind/code", json={"name": member.name, "id_tail": tail})
    code = last_code(member.id)
    wrong_code = f"{(int(code) + 1) % 10**6:06d}"
    answers = [
        phone.call("POST", "/api/mini/bind", json={"name": member.name + "甲", "id_tail": tail,
                                                   "code": code}),
        phone.call("POST", "/api/mini/bind", json={"name": member.name, "id_tail": tail,
                                                   "code": wrong_code}),
    ]
    assert all(a.status_code == 403 for a in answers)
    first, second = (a.json["errors"]["request"] for a in answers)
    assert first.split("，还可以")[0] == second.split("，还可以")[0]


@pytest.mark.parametrize("body", [None, [], "text", {"code": 5}, {"code": ""},
                                  {"code": "x" * 500}, {"code": "\ud800"}])
def test_login_rejects_bad_bodies_with_400(mini: Flask, body: Any) -> None:
    client = mini.test_client()
    answer = client.post("/api/mini/login", json=body) if body is not None else \
        client.post("/api/mini/login", data="{not json", content_type="application/json")
    assert answer.status_code == 400 and answer.json["success"] is False


def test_the_openapi_document_names_every_endpoint(mini: Flask) -> None:
    doc = mini.test_client().get("/api/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {"/api/mini/login", "/api/mini/bind/code", "/api/mini/bind",
                                 "/api/mini/card", "/api/mini/confirm", "/api/mini/dispute",
                                 "/api/mini/status"}
    rules = {r.rule for r in mini.url_map.iter_rules() if r.rule.startswith("/api/mini/")}
    assert rules == set(doc["paths"])
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
