"""The dispute form: friendly inputs in, codes and ISO dates out, once, with clear refusals."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from service.campaign import corrections
from service.evidence import ledger
from service.extensions import db
from service.models import CorrectionRequest
from service.models.campaign import DISPUTED
from service.unit_of_work import run_unit
from tests.card_page_helpers import carded, count, csrf_of, current, entries, redirects_to_card


def _form(client, token: str, **fields: str) -> dict[str, object]:
    page = client.get(f"/m/{token}/dispute").get_data(as_text=True)
    picked = [k for k in fields if k != "note"]
    data: dict[str, object] = {"csrf_token": csrf_of(page), "field": picked,
                               "note": fields.get("note", "")}
    data.update({f"v_{k}": v for k, v in fields.items() if k != "note"})
    return data


def _requests(app: Flask) -> list[tuple[list[str], dict[str, str], str | None]]:
    with app.app_context():
        rows = db.session.scalars(select(CorrectionRequest).order_by(CorrectionRequest.id))
        return [(r.fields, corrections.proposed_values(r), r.note) for r in rows]


def test_form_offers_choices_for_coded_items_and_date_pickers(app: Flask) -> None:
    c = carded(app)
    page = app.test_client().get(f"/m/{c.token}/dispute").get_data(as_text=True)
    assert '<select name="v_education"' in page and ">大专</option>" in page
    assert '<option value="21" selected>大学</option>' in page
    assert '<select name="v_ethnicity"' in page and ">蒙古族</option>" in page
    assert '<select name="v_job"' in page and ">公务员</option>" in page
    assert '<input type="date" name="v_birth_date"' in page and 'value="1980-03-15"' in page
    assert '<input type="month" name="v_lost_since"' in page
    assert c.id_number not in page and c.mobile not in page  # not even as a starting value


def test_dispute_is_recorded_once_as_codes_and_the_page_shows_waiting(app: Flask) -> None:
    c = carded(app)
    client = app.test_client()
    data = _form(client, c.token, education="22", joined_on="2004年7月1日",
                 flow_to="浙江省杭州市西湖区", mobile="139 0000 1234", note="毕业证在家")
    first = client.post(f"/m/{c.token}/dispute", data=data)
    again = client.post(f"/m/{c.token}/dispute", data=data)  # double tap
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "修改意见已提交，请等待党支部处理" in page
    assert "改为：大专" in page and "改为：2004年7月1日" in page and "浙江省杭州市西湖区" in page
    assert "13900001234" not in page and "139****1234" in page and "毕业证在家" in page
    assert _requests(app) == [(
        ["education", "flow_to", "joined_on", "mobile"],
        {"education": "22", "joined_on": "2004-07-01", "mobile": "13900001234",
         "flow_to": "330106"}, "毕业证在家")]
    disputed = entries(app, ledger.DISPUTED, c.member_id)
    assert len(disputed) == 1 and disputed[0]["channel"] == "web"
    assert disputed[0]["identity"] == "signed_link"
    assert current(app, c)[2] == DISPUTED
    # the waiting member cannot confirm, and the form is closed to them
    assert client.get(f"/m/{c.token}/dispute").status_code == 303
    client.post(f"/m/{c.token}/confirm", data={"csrf_token": data["csrf_token"],
                                                "consent": "yes"})
    assert count(app, ledger.CONFIRMED) == 0


def test_a_note_alone_is_a_dispute(app: Flask) -> None:
    c = carded(app)
    client = app.test_client()
    resp = client.post(f"/m/{c.token}/dispute", data=_form(client, c.token, note="住址门牌号不对"))
    assert resp.status_code == 303
    assert _requests(app) == [([], {}, "住址门牌号不对")]


def test_bad_input_names_the_item_and_keeps_what_was_typed(app: Flask) -> None:
    c = carded(app)
    client = app.test_client()
    cases = [
        ({"birth_date": "1980-02-30"}, "“出生日期”不是有效的日期"),
        ({"joined_on": "2999-01-01"}, "“加入党组织日期”不能晚于今天"),
        ({"education": "99"}, "“学历”请从列表中选择"),
        ({"mobile": "12345"}, "“手机号”应为11位手机号码"),
        ({"id_number": "110105198003150000"}, "“公民身份证号”有误"),
        ({"flow_to": "火星"}, "“外出流向”无法识别"),
        ({"address": ""}, "请填写“家庭住址”的正确内容"),
        ({"education": "21"}, "“学历”填写的内容与原信息相同"),
        ({}, "请勾选有误的信息项并填写正确内容"),
    ]
    for fields, message in cases:
        resp = client.post(f"/m/{c.token}/dispute", data=_form(client, c.token, **fields))
        page = resp.get_data(as_text=True)
        assert resp.status_code == 400 and message in page, (fields, message)
    resp = client.post(f"/m/{c.token}/dispute",
                       data=_form(client, c.token, address="新地址9号", birth_date="1980-02-30"))
    page = resp.get_data(as_text=True)
    assert 'value="新地址9号"' in page and 'value="address" id="f_address" checked' in page
    assert _requests(app) == [] and count(app, ledger.DISPUTED) == 0


def test_rejected_dispute_shows_the_reason_on_the_new_card(app: Flask) -> None:
    c = carded(app)
    client = app.test_client()
    client.post(f"/m/{c.token}/dispute", data=_form(client, c.token, education="22"))
    with app.app_context():
        request_id = db.session.scalar(select(CorrectionRequest.id))
        run_unit(lambda: corrections.resolve(request_id, accept=False, actor="admin:1",
                                             reason="档案记载为大学本科"))
    new_id, new_token, _ = current(app, c)
    old = client.get(f"/m/{c.token}")
    assert redirects_to_card(app, old, new_id)
    page = client.get(f"/m/{new_token}").get_data(as_text=True)
    assert "党支部未采纳您上次的修改意见。理由：档案记载为大学本科" in page
    assert "信息无误，确认" in page
    assert count(app, ledger.OPENED, card_id=new_id) == 1
