"""Members: list filters and paging, the member page, audited full-ID view, edit, submit."""

from __future__ import annotations

from sqlalchemy import select

from service.extensions import db
from service.models import AuditLog, CampaignMember, Member, MemberVersion, OutboxMessage
from testkit.admin import make_world, post, sign_in


def _member(app, member_id):
    with app.app_context():
        m = db.session.get(Member, member_id)
        return {"name": m.name, "id_number": m.id_number, "mobile": m.mobile,
                "address": m.address}


def test_list_filters_by_state_org_search_and_quality(app, client):
    w = make_world(app)
    a, b = _member(app, w.members_b1[0]), _member(app, w.members_b2[0])
    with app.app_context():
        db.session.get(Member, w.members_b2[1]).address = None
        db.session.get(CampaignMember, db.session.scalar(select(CampaignMember.id).where(
            CampaignMember.member_id == w.members_b1[2]))).state = "unreachable"
        db.session.commit()
    sign_in(client, w.users["committee_admin"])
    everyone = client.get("/admin/members").get_data(as_text=True)
    assert a["name"] in everyone and b["name"] in everyone and "共 6 条" in everyone
    assert a["id_number"] not in everyone and a["mobile"] not in everyone  # masked
    by_org = client.get(f"/admin/members?org={w.branch_ids[1]}").get_data(as_text=True)
    assert "共 3 条" in by_org and a["name"] not in by_org
    by_state = client.get("/admin/members?state=unreachable").get_data(as_text=True)
    assert "共 1 条" in by_state
    assert "共 5 条" in client.get("/admin/members?state=pending").get_data(as_text=True)
    by_id = client.get("/admin/members", query_string={"q": a["id_number"]})
    assert "共 1 条" in by_id.get_data(as_text=True) and a["name"] in by_id.get_data(as_text=True)
    by_phone = client.get("/admin/members", query_string={"q": b["mobile"]})
    assert "共 1 条" in by_phone.get_data(as_text=True)
    by_name = client.get("/admin/members", query_string={"q": a["name"]}).get_data(as_text=True)
    assert a["name"] in by_name
    quality = client.get("/admin/members?quality=no_address").get_data(as_text=True)
    assert "共 1 条" in quality


def test_list_pages(app, client):
    w = make_world(app)
    app.config["ADMIN_PAGE_SIZE"] = 4
    sign_in(client, w.users["committee_admin"])
    first = client.get("/admin/members").get_data(as_text=True)
    second = client.get("/admin/members?page=2").get_data(as_text=True)
    assert "第 1 / 2 页" in first and "下一页" in first
    assert "第 2 / 2 页" in second and second.count("/admin/members/") - \
        second.count("/admin/members/submit") == 2


def test_member_page_shows_record_history_cards_and_evidence(app, client):
    w = make_world(app)
    sign_in(client, w.users["branch_admin"])
    html = client.get(f"/admin/members/{w.members_b1[0]}").get_data(as_text=True)
    person = _member(app, w.members_b1[0])
    assert person["name"] in html and person["id_number"] not in html
    assert "汉族（01）" in html and "待确认" in html
    assert "生成确认卡" in html and "当前" in html and "第 1 版" in html


def test_full_id_view_is_audited(app, client):
    w = make_world(app)
    person = _member(app, w.members_b1[0])
    sign_in(client, w.users["branch_admin"])
    page = post(client, f"/admin/members/{w.members_b1[0]}/id-number")
    assert person["id_number"] in page.get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalar(select(AuditLog).where(
            AuditLog.action == "member.view_id_number"))
        assert entry.actor == f"admin:{w.users['branch_admin']}"
        assert person["id_number"] not in str(entry.detail)


def test_edit_needs_a_basis_and_valid_values_then_reissues_the_card(app, client):
    w = make_world(app)
    member_id = w.members_b1[0]
    sign_in(client, w.users["branch_admin"])
    form = client.get(f"/admin/members/{member_id}/edit").get_data(as_text=True)
    assert "修改依据" in form
    person = _member(app, member_id)
    assert person["id_number"] not in form and person["mobile"] not in form

    def fields(**overrides):
        with app.app_context():
            m = db.session.get(Member, member_id)
            data = {"name": m.name, "sex": m.sex, "ethnicity": m.ethnicity,
                    "birth_date": m.birth_date.isoformat(), "education": m.education,
                    "member_type": m.member_type, "joined_on": m.joined_on.isoformat(),
                    "full_on": m.full_on.isoformat(), "job": m.job, "address": m.address,
                    "party_status": m.party_status, "is_lost": "否", "is_floating": "否"}
        return {**data, **overrides}

    no_basis = post(client, f"/admin/members/{member_id}/edit",
                    fields(address="北京市西城区新街88号"))
    assert no_basis.status_code == 400 and "请填写修改依据" in no_basis.get_data(as_text=True)
    bad = post(client, f"/admin/members/{member_id}/edit",
               fields(birth_date="1980-02-30", basis="档案"))
    assert bad.status_code == 400 and "出生日期“1980-02-30”不是有效日期" in \
        bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(MemberVersion).where(
            MemberVersion.member_id == member_id)) == 1  # nothing half-saved
    done = post(client, f"/admin/members/{member_id}/edit",
                fields(address="北京市西城区新街88号", basis="本人提供的户口簿"))
    assert done.status_code == 302
    with app.app_context():
        m = db.session.get(Member, member_id)
        assert m.address == "北京市西城区新街88号" and m.id_number == person["id_number"]
        version = m.versions[-1]
        assert version.basis == "本人提供的户口簿" and version.source == "admin_edit"
        cm = db.session.scalar(select(CampaignMember).where(CampaignMember.member_id == member_id))
        assert cm.card.member_revision == m.revision  # a new card for the changed record
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "member.edit"))
    page = client.get(f"/admin/members/{member_id}").get_data(as_text=True)
    assert "本人提供的户口簿" in page and "新街88号" in page


def test_submit_one_and_in_bulk(app, client):
    w = make_world(app, submit=False)
    sign_in(client, w.users["committee_admin"])
    one = post(client, f"/admin/members/{w.members_b1[0]}/submit",
               {"campaign_id": w.campaign_id})
    assert one.status_code == 302
    bulk = post(client, "/admin/members/submit", {
        "campaign_id": w.campaign_id,
        "member_id": [str(i) for i in (w.members_b1[0], w.members_b1[1], w.members_b2[0])]})
    assert bulk.status_code == 302
    flashed = client.get(bulk.headers["Location"]).get_data(as_text=True)
    assert "已提交确认 2 人；1 人已提交过或不在范围内，已跳过" in flashed
    with app.app_context():
        states = dict(db.session.execute(
            select(CampaignMember.member_id, CampaignMember.state)).all())
        assert [states[i] for i in w.members_b1] == ["pending", "pending", "draft"]
        assert states[w.members_b2[0]] == "pending"
        assert db.session.scalar(select(db.func.count()).select_from(OutboxMessage)) == 3


def test_bulk_submit_ignores_members_outside_scope(app, client):
    w = make_world(app, submit=False)
    sign_in(client, w.users["branch_admin"])
    post(client, "/admin/members/submit", {"campaign_id": w.campaign_id,
                                           "member_id": [str(w.members_b2[0])]})
    with app.app_context():
        assert db.session.scalar(select(CampaignMember.state).where(
            CampaignMember.member_id == w.members_b2[0])) == "draft"
