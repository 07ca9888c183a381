"""Binding an openid: scan reply → binding link → name + ID tail + SMS code → binding + evidence."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from service.campaign.outstanding import member_for_openid
from service.evidence import ledger
from service.evidence.verification import verify_chain
from service.extensions import db
from service.identity import binding
from service.models import AuditLog, ChannelBinding, EvidenceEntry, Member
from service.models.channel import BY_QR_MEMBER, BY_QR_POSTER, WECHAT_OA
from testkit.workflow import started
from tests.binding_helpers import codes_queued, csrf_of, last_code, path_of, text, wrong

OPENID = "oTEST_openid_0001"


class Phone:
    """A member's WeChat browser on the binding page."""

    def __init__(self, client: Any, link: str) -> None:
        self.client, self.path = client, path_of(link)
        page = client.get(self.path)
        assert page.status_code == 200, text(page)
        self.csrf = csrf_of(page.data)

    def send(self, name: str, tail: str) -> Any:
        return self.client.post(self.path, data={"csrf_token": self.csrf, "action": "send",
                                                 "name": name, "id_tail": tail})

    def bind(self, name: str, tail: str, code: str) -> Any:
        return self.client.post(self.path, data={"csrf_token": self.csrf, "action": "bind",
                                                 "name": name, "id_tail": tail, "code": code})


def _setup() -> tuple[Member, Member]:
    _, members = started()
    return members[0], members[1]


def _scan(member: Member, scene: str | None = None, openid: str = OPENID) -> str:
    reply = binding.scan_reply(WECHAT_OA, openid, scene or f"o{member.org_id}")
    link = reply.rsplit("：", 1)[1]
    assert link.startswith("http") and "/bind/" in link
    return link


def _bindings(member_id: int) -> list[EvidenceEntry]:
    db.session.expire_all()
    return ledger.entries_for(member_id, ledger.BINDING)


def test_poster_scan_then_name_id_tail_and_code_binds_once(app: Flask) -> None:
    client = app.test_client()
    with app.app_context():
        member, _ = _setup()
        phone = Phone(client, _scan(member))
        sent = phone.send(member.name, member.id_number[-6:])
        assert "验证码已发送到您登记的手机" in text(sent) and 'name="code"' in text(sent)
        code = last_code(member.id)
        done = phone.bind(member.name, member.id_number[-6:], code)
        assert "绑定成功" in text(done) and "查看待确认的信息" in text(done)
        assert member_for_openid(WECHAT_OA, OPENID).id == member.id
        [entry] = _bindings(member.id)
        body = entry.body
        assert entry.identity == "sms_code" and entry.channel == "wechat"
        assert BY_QR_POSTER in body and OPENID in body
        assert member.id_number not in body and member.mobile not in body
        assert member.id_number[-4:] in body  # the masked number
        # A double click (or reload) binds nothing twice and records nothing twice.
        again = phone.bind(member.name, member.id_number[-6:], code)
        assert "您已完成绑定" in text(again)
        assert len(_bindings(member.id)) == 1
        assert db.session.scalar(select(func.count()).select_from(AuditLog)
                                 .where(AuditLog.action == "member.bind")) == 1
        assert verify_chain().ok
        # The session now knows who this is: the card link opens verified.
        with client.session_transaction() as session:
            assert session["member_verified"]["id"] == member.id
            assert session["wechat_openid"][WECHAT_OA] == OPENID


def test_lower_case_x_and_spaces_are_accepted(app: Flask) -> None:
    client = app.test_client()
    with app.app_context():
        member, _ = _setup()
        member.id_number = member.id_number[:-1] + "X"
        db.session.commit()
        phone = Phone(client, _scan(member, scene=f"m{member.id}"))
        phone.send(f" {member.name} ", member.id_number[-6:].lower())
        done = phone.bind(member.name, member.id_number[-6:].lower(), last_code(member.id))
        assert "绑定成功" in text(done)
        [entry] = _bindings(member.id)
        assert BY_QR_MEMBER in entry.body


def test_wrong_name_or_id_tail_sends_nothing_and_says_the_same(app: Flask) -> None:
    client = app.test_client()
    with app.app_context():
        member, _ = _setup()
        phone = Phone(client, _scan(member))
        right = phone.send(member.name, member.id_number[-6:])
        bad_name = phone.send(member.name + "甲", member.id_number[-6:])
        last = member.id_number[-1].upper()  # a check digit of "1" made wrong(…"0") the real tail
        bad_tail = phone.send(member.name, member.id_number[-6:-1] + ("1" if last == "0" else "0"))
        # The same answer whatever was wrong: no hint whether a member matched.
        hint = binding.SENT_HINT
        assert hint in text(right) and hint in text(bad_name) and hint in text(bad_tail)
        assert codes_queued() == 1


def test_wrong_name_id_or_code_fail_alike_then_lock_the_openid(app: Flask) -> None:
    client = app.test_client()
    with app.app_context():
        member, _ = _setup()
        tail = member.id_number[-6:]
        phone = Phone(client, _scan(member))
        phone.send(member.name, tail)
        code = last_code(member.id)
        answers = [
            phone.bind(member.name + "甲", tail, code),
            phone.bind(member.name, "000000" if tail != "000000" else "111111", code),
            phone.bind(member.name, tail, wrong(code)),
        ]
        messages = [text(a) for a in answers]
        assert all(binding.FAILED in m for m in messages)
        assert "还可以再试" in messages[-1]
        assert member_for_openid(WECHAT_OA, OPENID) is None
        # Two more misses lock this openid; then even the right details are refused.
        phone.bind(member.name, tail, wrong(code))
        locked = phone.bind(member.name + "乙", tail, code)
        assert "尝试次数过多" in text(locked)
        refused = phone.bind(member.name, tail, code)
        assert "尝试次数过多" in text(refused)
        assert member_for_openid(WECHAT_OA, OPENID) is None
        assert _bindings(member.id) == []


def test_guessing_at_a_members_own_qr_locks_that_member(app: Flask) -> None:
    with app.app_context():
        member, _ = _setup()
        scene = f"m{member.id}"
        # Different openids (different people) each try once with the wrong ID tail.
        for n in range(5):
            phone = Phone(app.test_client(), _scan(member, scene=scene, openid=f"oGuess{n}"))
            phone.bind(member.name, "000000", "123456")
        phone = Phone(app.test_client(), _scan(member, scene=scene, openid="oRealMember"))
        answer = phone.send(member.name, member.id_number[-6:])
        assert "尝试次数过多" in text(answer)
        assert codes_queued(member.id) == 0


def test_rebinding_an_openid_to_another_member_revokes_the_first(app: Flask) -> None:
    client = app.test_client()
    with app.app_context():
        first, second = _setup()
        for member in (first, second):
            phone = Phone(client, _scan(member, scene=f"m{member.id}"))
            phone.send(member.name, member.id_number[-6:])
            done = phone.bind(member.name, member.id_number[-6:], last_code(member.id))
            assert "绑定成功" in text(done)
        db.session.expire_all()
        rows = db.session.scalars(select(ChannelBinding)).all()
        assert len(rows) == 1 and rows[0].member_id == second.id and rows[0].revoked_at is None
        assert member_for_openid(WECHAT_OA, OPENID).id == second.id
        first_entries = _bindings(first.id)
        assert [e.body.count('"revoked"') > 0 for e in first_entries] == [False, True]
        assert len(_bindings(second.id)) == 1
        assert verify_chain().ok


def test_a_forged_or_expired_link_is_refused(app: Flask) -> None:
    client = app.test_client()
    with app.app_context():
        member, _ = _setup()
        link = path_of(_scan(member))
        forged = client.get(link[:-3] + "abc")
        assert forged.status_code == 400 and "绑定链接无效" in text(forged)


def test_a_form_without_its_token_is_refused(app: Flask) -> None:
    client = app.test_client()
    with app.app_context():
        member, _ = _setup()
        link = path_of(_scan(member))
        client.get(link)
        answer = client.post(link, data={"action": "send", "name": member.name,
                                         "id_tail": member.id_number[-6:]})
        # 400, as every CSRF refusal (one check for every form, Flask-WTF's).
        assert answer.status_code == 400 and codes_queued() == 0


def test_malformed_id_tail_names_the_field(app: Flask) -> None:
    client = app.test_client()
    with app.app_context():
        member, _ = _setup()
        phone = Phone(client, _scan(member))
        answer = phone.send(member.name, "12")
        assert "身份证号码的后六位" in text(answer) and codes_queued() == 0


def test_a_bound_openid_scanning_again_is_told_so(app: Flask) -> None:
    client = app.test_client()
    with app.app_context():
        member, _ = _setup()
        phone = Phone(client, _scan(member))
        phone.send(member.name, member.id_number[-6:])
        phone.bind(member.name, member.id_number[-6:], last_code(member.id))
        reply = binding.scan_reply(WECHAT_OA, OPENID, f"o{member.org_id}")
        assert "已绑定" in reply and "/bind/" not in reply


def test_start_page_explains_how_to_follow(client: Any, app: Flask) -> None:
    with app.app_context():
        member, _ = _setup()
        page = client.get(f"/bind/start/o{member.org_id}")
        assert page.status_code == 200
        assert "关注公众号" in text(page) and member.org.name in text(page)
        assert client.get("/bind/start/zzz").status_code == 400
