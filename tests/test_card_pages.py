"""The member card page: showing the card, confirming it once, and every refusal page."""

from __future__ import annotations

from urllib.parse import unquote

from flask import Flask

from service.campaign import workflow
from service.clock import now_utc
from service.evidence import ledger
from service.evidence.consent import CONSENT_V1
from service.extensions import db
from service.identity.member_session import VERIFIED_KEY
from service.models import Campaign, Card
from service.models.campaign import CLOSED, CONFIRMED, PENDING
from service.records.idcard import mask_id
from service.records.phones import mask_phone
from service.unit_of_work import run_unit
from testkit.workflow import phone_contact, yesterday
from tests.card_page_helpers import (
    audits,
    carded,
    count,
    csrf_of,
    current,
    entries,
    expired_token,
    redirects_to_card,
)

UA = {"User-Agent": "Mozilla/5.0 (Linux; Android 8.1; cheap phone)"}


def _confirm(client, token: str, *, consent: bool = True, csrf: str | None = None):
    page = client.get(f"/m/{token}").get_data(as_text=True)
    data = {"csrf_token": csrf if csrf is not None else csrf_of(page)}
    if consent:
        data["consent"] = "yes"
    return client.post(f"/m/{token}/confirm", data=data, headers=UA)


def test_card_shows_the_16_items_in_plain_chinese_masked(app: Flask) -> None:
    c = carded(app)
    resp = app.test_client().get(f"/m/{c.token}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    for text in (c.name, "汉族", "大学", "公务员", "1980年3月15日", "2005年7月1日", "正式党员",
                 "中共测试工作流第1支部委员会", "正常", "16. 是否为流动党员"):
        assert text in page, text
    assert c.id_number not in page and c.mobile not in page
    assert mask_id(c.id_number) in page and mask_phone(c.mobile) in page
    assert "weui/weui.min.css" in page and 'name="viewport"' in page
    assert CONSENT_V1 in page and 'name="consent"' in page
    assert "失去联系日期" not in page and "外出流向" not in page  # neither lost nor floating
    assert resp.headers["Cache-Control"] == "no-store" and resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] == "no-referrer"


def test_floating_member_sees_where_to_by_name(app: Flask) -> None:
    c = carded(app)
    with app.app_context():
        workflow.edit_record(c.member_id, {"is_floating": True, "flow_to": "330106"},
                             actor="admin:1", basis="外出务工")
        db.session.commit()
    _, token, _ = current(app, c)
    page = app.test_client().get(f"/m/{token}").get_data(as_text=True)
    assert "16. 外出流向" in page and "浙江省杭州市西湖区" in page and "330106" not in page


def test_opening_is_recorded_once_per_card(app: Flask) -> None:
    c = carded(app)
    client = app.test_client()
    for _ in range(3):
        assert client.get(f"/m/{c.token}").status_code == 200
    client.get(f"/m/{c.token}/dispute")
    assert count(app, ledger.OPENED, card_id=c.card_id) == 1


def test_confirm_records_consent_and_confirmation_once_and_shows_the_evidence(
    app: Flask,
) -> None:
    c = carded(app)
    client = app.test_client()
    form = {"csrf_token": csrf_of(client.get(f"/m/{c.token}").get_data(as_text=True)),
            "consent": "yes"}
    first = client.post(f"/m/{c.token}/confirm", data=form, headers=UA)
    assert first.status_code == 303 and first.headers["Location"].endswith(f"/m/{c.token}")
    again = client.post(f"/m/{c.token}/confirm", data=form, headers=UA)  # a double tap
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    page = client.get(f"/m/{c.token}").get_data(as_text=True)
    assert "您的信息已确认" in page and "本人通过网页链接确认" in page
    confirmed = entries(app, ledger.CONFIRMED, c.member_id)
    assert len(confirmed) == 1 and count(app, ledger.CONSENT, member_id=c.member_id) == 1
    assert ledger.evidence_id(confirmed[0]["seq"]) in page
    assert confirmed[0]["channel"] == "web" and confirmed[0]["identity"] == "signed_link"
    assert confirmed[0]["user_agent"] == UA["User-Agent"] and confirmed[0]["ip"] == "127.0.0.1"
    assert current(app, c)[2] == CONFIRMED


def test_confirm_without_consent_is_refused_and_nothing_recorded(app: Flask) -> None:
    c = carded(app)
    resp = _confirm(app.test_client(), c.token, consent=False)
    assert resp.status_code == 400 and "我已阅读并同意" in resp.get_data(as_text=True)
    assert count(app, ledger.CONFIRMED) == 0 and count(app, ledger.CONSENT) == 0
    assert current(app, c)[2] == PENDING


def test_consent_is_asked_only_the_first_time(app: Flask) -> None:
    c = carded(app)
    client = app.test_client()
    _confirm(client, c.token)
    with app.app_context():  # the record changes: a new card to confirm
        workflow.edit_record(c.member_id, {"address": "北京市海淀区新地址1号"}, actor="admin:1",
                             basis="党员来电")
        db.session.commit()
    _, token, state = current(app, c)
    assert state == PENDING
    page = client.get(f"/m/{token}").get_data(as_text=True)
    assert 'name="consent"' not in page and "北京市海淀区新地址1号" in page
    assert _confirm(client, token, consent=False).status_code == 303
    assert count(app, ledger.CONFIRMED, member_id=c.member_id) == 2
    assert count(app, ledger.CONSENT, member_id=c.member_id) == 1


def test_post_without_or_with_a_wrong_csrf_token_is_refused(app: Flask) -> None:
    c = carded(app)
    client = app.test_client()
    client.get(f"/m/{c.token}")
    no_token = client.post(f"/m/{c.token}/confirm", data={"consent": "yes"})
    wrong = client.post(f"/m/{c.token}/confirm", data={"consent": "yes", "csrf_token": "x" * 43})
    other = app.test_client()  # a token from another browser's session does not work here
    forged = other.post(f"/m/{c.token}/confirm",
                        data={"consent": "yes", "csrf_token": csrf_of(
                            client.get(f"/m/{c.token}").get_data(as_text=True))})
    dispute = client.post(f"/m/{c.token}/dispute", data={"note": "学历不对"})
    for resp in (no_token, wrong, forged, dispute):
        assert resp.status_code == 400
        assert "页面已过期或来源不明" in resp.get_data(as_text=True)
    assert count(app, ledger.CONFIRMED) == 0 and count(app, ledger.DISPUTED) == 0


def test_old_link_after_a_record_change_shows_the_new_card(app: Flask) -> None:
    c = carded(app)
    client = app.test_client()
    page = client.get(f"/m/{c.token}").get_data(as_text=True)
    with app.app_context():
        workflow.edit_record(c.member_id, {"education": "22"}, actor="admin:1", basis="毕业证")
        db.session.commit()
    new_id, new_token, _ = current(app, c)
    opened = client.get(f"/m/{c.token}")
    assert redirects_to_card(app, opened, new_id)
    stale = client.post(f"/m/{c.token}/confirm",
                        data={"csrf_token": csrf_of(page), "consent": "yes"})
    assert redirects_to_card(app, stale, new_id)
    shown = client.get(stale.headers["Location"]).get_data(as_text=True)
    assert "您的信息已更新，请核对最新内容" in shown and "大专" in shown
    assert count(app, ledger.CONFIRMED) == 0
    assert _confirm(client, new_token).status_code == 303
    assert [e["card_id"] for e in entries(app, ledger.CONFIRMED, c.member_id)] == [new_id]


def test_record_changed_outside_the_workflow_refuses_and_issues_the_new_card(app: Flask) -> None:
    c = carded(app)
    client = app.test_client()
    page = client.get(f"/m/{c.token}").get_data(as_text=True)
    with app.app_context():  # e.g. a bulk fix that forgot to re-ask the member
        from service.models import Member
        from service.roster.members import update_member
        update_member(db.session.get(Member, c.member_id), {"address": "别处1号"}, actor="x",
                      source="admin_edit", basis=None)
        db.session.commit()
    resp = client.post(f"/m/{c.token}/confirm", data={"csrf_token": csrf_of(page),
                                                       "consent": "yes"})
    new_id, _, state = current(app, c)
    assert new_id != c.card_id and state == PENDING
    assert redirects_to_card(app, resp, new_id)
    assert "别处1号" in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert count(app, ledger.CONFIRMED) == 0


def test_expired_and_invalid_links_get_a_clear_page(app: Flask) -> None:
    c = carded(app)
    with app.app_context():
        card_hash = db.session.get(Card, c.card_id).sha256
    old = expired_token(app, c.card_id, card_hash, age=61 * 24 * 3600)
    client = app.test_client()
    expired = client.get(f"/m/{old}")
    assert expired.status_code == 410 and "链接已过期" in expired.get_data(as_text=True)
    assert client.post(f"/m/{old}/confirm", data={}).status_code == 400  # no CSRF, no action
    tampered = client.get(f"/m/{c.token[:-2]}xx")
    assert tampered.status_code == 404 and "链接无效" in tampered.get_data(as_text=True)
    fresh = expired_token(app, c.card_id, card_hash, age=60)
    assert client.get(f"/m/{fresh}").status_code == 200
    assert count(app, ledger.OPENED) == 1  # only the valid link opened the card


def test_closed_campaign_page(app: Flask) -> None:
    c = carded(app)
    with app.app_context():
        db.session.get(Campaign, c.campaign_id).status = CLOSED
        db.session.commit()
    client = app.test_client()
    resp = client.get(f"/m/{c.token}")
    assert resp.status_code == 410 and "已结束" in resp.get_data(as_text=True)
    assert count(app, ledger.OPENED) == 0
    assert client.get(f"/m/{c.token}/dispute").status_code == 303


def test_proxy_confirmed_card_says_who_confirmed_it(app: Flask) -> None:
    c = carded(app)
    with app.app_context():
        run_unit(lambda: workflow.proxy_confirm(
            c.campaign_id, c.member_id, actor="admin:2", collector_name="李采集",
            method="phone", confirmed_on=yesterday(), contact=phone_contact()))
    page = app.test_client().get(f"/m/{c.token}").get_data(as_text=True)
    assert "您的信息已确认" in page and "由信息采集员李采集通过电话" in page
    assert ledger.evidence_id(entries(app, ledger.PROXY_CONFIRMED, c.member_id)[0]["seq"]) in page


def test_full_id_needs_a_verified_session_and_every_view_is_audited(app: Flask) -> None:
    c = carded(app, members_per_branch=2)
    client = app.test_client()
    resp = client.get(f"/m/{c.token}/full")
    assert resp.status_code == 302
    assert unquote(resp.headers["Location"]) == f"/verify?next=/m/{c.token}/full"
    with client.session_transaction() as sess:  # proved to be somebody else
        sess[VERIFIED_KEY] = {"id": c.member_id + 1, "card": c.card_id, "how": "sms_code",
                              "at": now_utc().isoformat()}
    assert client.get(f"/m/{c.token}/full").status_code == 302
    assert audits(app, "member.view_full_id") == []
    with client.session_transaction() as sess:
        sess[VERIFIED_KEY] = {"id": c.member_id, "card": c.card_id, "how": "sms_code",
                              "at": now_utc().isoformat()}
    for _ in range(2):
        page = client.get(f"/m/{c.token}/full").get_data(as_text=True)
        assert c.id_number in page
    assert c.id_number not in client.get(f"/m/{c.token}").get_data(as_text=True)
    logged = audits(app, "member.view_full_id")
    assert len(logged) == 2 and logged[0].target_id == str(c.member_id)
    assert logged[0].detail["how"] == "sms_code" and logged[0].detail["card_id"] == c.card_id
    # acting in a verified session records how the member was identified
    _confirm(client, c.token)
    assert entries(app, ledger.CONFIRMED, c.member_id)[0]["identity"] == "sms_code"
