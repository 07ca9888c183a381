"""Data-key rotation: everything written under key A reads, and is found, under B."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from flask import Flask

from service import key_rotation
from service.campaign import corrections
from service.campaign.cards import card_content
from service.campaign.outstanding import members_by_phone
from service.crypto import FieldCipher, blind_index, cipher
from service.extensions import db
from service.identity import otp
from service.keys import decode_data_key
from service.models import Card, CorrectionRequest, InboxMessage, Member, MemberVersion, Org
from service.models.inbox import SMS_ALIYUN
from service.models.member_auth import VERIFY, OtpCode
from service.models.wechat_token import WeChatToken
from service.roster.history import unseal
from service.roster.members import find_by_id_number, update_member
from service.unit_of_work import run_unit
from testkit.workflow import started
from tests.binding_helpers import last_code
from tests.conftest import TEST_DATA_KEY
from tests.xlsx_helpers import BRANCH_A, COMMITTEE, person, write_member_roster

KEY_A = TEST_DATA_KEY  # what every test app writes with
KEY_B = "Yi1rZXktZm9yLXJvdGF0aW9uLXRlc3RzLW9ubHktMzI="
DONE = "现在可以从所有主机的环境文件中删除 FLASK_DATA_KEY_OLD"


def _written_under_a(app: Flask) -> dict[str, Any]:
    """Write one of everything that is sealed or indexed; return the plain values."""
    with app.app_context():
        campaign, members = started(members_per_branch=3)
        org = db.session.get(Org, members[0].org_id)
        org.contact_phone = "13800001111"
        members[0].landline = "010-12345678"
        old_mobile = members[2].mobile
        update_member(members[2], {"mobile": "13911112222"}, actor="test", source="admin_edit",
                      basis=None)
        from service.campaign.states import membership

        cm = membership(campaign.id, members[1].id)
        run_unit(lambda: corrections.dispute(
            cm.card_id, members[1].id, proposed={"address": "新地址1号"}, channel="web",
            identity="signed_link"))
        raw = json.dumps({"phone_number": members[3].mobile, "content": "1",
                          "sequence_id": "77"}, ensure_ascii=False, sort_keys=True)
        db.session.add(InboxMessage(source=SMS_ALIYUN, dedupe_key="up:77", kind="reply",
                                    raw=raw, sender_bidx=blind_index(members[3].mobile, "mobile")))
        db.session.add(WeChatToken(appid="wx-rotation", token="ACCESS-TOKEN-1", generation=1))
        issued = run_unit(lambda: otp.issue(members[4], purpose=VERIFY, context=VERIFY))
        db.session.commit()
        return {
            "ids": [m.id for m in members], "id_numbers": [m.id_number for m in members],
            "mobiles": [m.mobile for m in members], "org_id": org.id, "raw": raw,
            "old_mobile": old_mobile,
            "code": last_code(members[4].id), "code_id": issued.code_id,
            "cards": {c.id: card_content(c) for c in db.session.scalars(sa.select(Card))},
        }


def _reads_everything(data: dict[str, Any]) -> None:
    """Check every sealed value reads back and every look-up finds its member (app context)."""
    db.session.expire_all()
    for member_id, id_number, mobile in zip(data["ids"], data["id_numbers"], data["mobiles"],
                                            strict=True):
        member = db.session.get(Member, member_id)
        assert (member.id_number, member.mobile) == (id_number, mobile)
        assert find_by_id_number(id_number).id == member_id
        assert member_id in {m.id for m in members_by_phone(mobile)}
    assert db.session.get(Member, data["ids"][0]).landline == "010-12345678"
    assert db.session.get(Org, data["org_id"]).contact_phone == "13800001111"
    assert {c.id: card_content(c) for c in db.session.scalars(sa.select(Card))} == data["cards"]
    changed = [unseal(v.changes) for v in db.session.scalars(
        sa.select(MemberVersion).where(MemberVersion.member_id == data["ids"][2]))]
    assert changed[-1]["mobile"] == [data["old_mobile"], "13911112222"]
    assert changed[0]["id_number"] == [None, data["id_numbers"][2]]
    request_ = db.session.scalar(sa.select(CorrectionRequest))
    assert corrections.proposed_values(request_) == {"address": "新地址1号"}
    assert db.session.scalar(sa.select(InboxMessage.raw)) == data["raw"]
    assert db.session.scalar(sa.select(WeChatToken.token)) == "ACCESS-TOKEN-1"


def _raw(table: str, column: str) -> list[str]:
    return [v for v in db.session.scalars(sa.text(f"SELECT {column} FROM {table}")) if v]


def _rotate(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["keys", "rotate-data", *args])


def test_rotation_from_a_to_b(make_app: Callable[..., Flask]) -> None:
    data = _written_under_a(make_app())
    rotating = make_app(DATA_KEY=KEY_B, DATA_KEY_OLD=KEY_A)
    with rotating.app_context():
        _reads_everything(data)  # before any row moved: everything reads, look-ups match A's
        # Half-way: the first members moved, the rest not yet (an interrupted run).
        members = next(s for s in key_rotation.steps() if s.table == "members")
        assert members.run(0, 3, True).stale == 3
        db.session.commit()
        _reads_everything(data)
        late = run_unit(lambda: update_member(  # a write during rotation goes under B
            db.session.get(Member, data["ids"][5]), {"landline": "021-7654321"}, actor="test",
            source="admin_edit", basis=None))
        assert late is not None
    result = _rotate(rotating, "--batch", "2")
    assert result.exit_code == 0, result.output
    assert "党员（members）：已检查 2/6 行" in result.output and DONE in result.output
    assert "仍用旧密钥 0 行" in result.output
    b_only = make_app(DATA_KEY=KEY_B)  # the old key removed
    a, b = FieldCipher(decode_data_key(KEY_A)), FieldCipher(decode_data_key(KEY_B))
    with b_only.app_context():
        _reads_everything(data)
        assert db.session.get(Member, data["ids"][5]).landline == "021-7654321"
        for member_id, id_number in zip(data["ids"], data["id_numbers"], strict=True):
            assert db.session.get(Member, member_id).id_number_bidx == b.blind_index(
                id_number, "id_number")
        assert db.session.scalar(sa.select(InboxMessage.sender_bidx)) == b.blind_index(
            data["mobiles"][3], "mobile")
        assert db.session.scalar(sa.select(OtpCode.phone_bidx)) == b.blind_index(
            data["mobiles"][4], "mobile")
        # The code sent under A is still sent (its outbox payload moved) and still good.
        assert last_code(data["ids"][4]) == data["code"]
        assert run_unit(lambda: otp.check(data["ids"][4], purpose=VERIFY, context=VERIFY,
                                          code=data["code"])).ok
        # Nothing is left that key A opens.
        for column, purpose in (("id_number", "member.id_number"), ("mobile", "member.mobile")):
            for token in _raw("members", column):
                with pytest.raises(InvalidTag):
                    a.decrypt(token, purpose)
        for token in _raw("cards", "content"):
            with pytest.raises(InvalidTag):
                a.decrypt(token, "card.content")
    assert _rotate(make_app(DATA_KEY=KEY_B, DATA_KEY_OLD=KEY_A), "--check").exit_code == 0


def test_imports_during_rotation_find_members_still_under_the_old_index(
    make_app: Callable[..., Flask], tmp_path: Path,
) -> None:
    from testkit.factories import make_org

    app_a = make_app()
    with app_a.app_context():
        make_org(make_org(name=COMMITTEE), name=BRANCH_A)
        db.session.commit()
    first = write_member_roster(tmp_path / "a.xlsx", [person(1), person(2)])
    assert app_a.test_cli_runner().invoke(args=["members", "import", str(first)]).exit_code == 0
    rotating = make_app(DATA_KEY=KEY_B, DATA_KEY_OLD=KEY_A)
    moved = {**person(1), "家庭住址": "湖南省邵阳县新址路9号"}
    again = write_member_roster(tmp_path / "b.xlsx", [moved, person(2)])
    result = rotating.test_cli_runner().invoke(args=["members", "import", str(again)])
    assert result.exit_code == 0, result.output
    assert "新增 0 人，更新 1 人，未变 1 人" in result.output  # no duplicate under the new index
    with rotating.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Member)) == 2


def test_rotation_refuses_without_the_old_key_or_with_the_same_key(
    make_app: Callable[..., Flask],
) -> None:
    missing = _rotate(make_app(DATA_KEY=KEY_B))
    assert missing.exit_code == 1 and "未设置 FLASK_DATA_KEY_OLD" in missing.output
    same = _rotate(make_app(DATA_KEY=KEY_A, DATA_KEY_OLD=KEY_A))
    assert same.exit_code == 1 and "相同" in same.output


def test_values_neither_key_opens_are_reported_and_block_the_all_clear(
    make_app: Callable[..., Flask],
) -> None:
    data = _written_under_a(make_app())
    stranger = FieldCipher(b"C" * 32).encrypt("110105194912310021", "member.id_number")
    rotating = make_app(DATA_KEY=KEY_B, DATA_KEY_OLD=KEY_A)
    with rotating.app_context():
        db.session.execute(sa.text("UPDATE members SET id_number = :t WHERE id = :i"),
                           {"t": stranger, "i": data["ids"][0]})
        db.session.commit()
    result = _rotate(rotating)
    assert result.exit_code == 1
    assert f"1 行无法解密（id {data['ids'][0]}）" in result.output
    assert "新旧两个密钥都无法解密" in result.output and DONE not in result.output
    with rotating.app_context():  # every other member moved all the same
        member = db.session.get(Member, data["ids"][1])
        assert member.id_number_bidx == cipher().blind_index(data["id_numbers"][1], "id_number")


def test_check_counts_without_writing(make_app: Callable[..., Flask]) -> None:
    _written_under_a(make_app())
    rotating = make_app(DATA_KEY=KEY_B, DATA_KEY_OLD=KEY_A)
    result = _rotate(rotating, "--check")
    assert result.exit_code == 1, result.output
    assert "党员（members）：共 6 行，仍用旧密钥 6 行" in result.output
    assert "请运行 flask keys rotate-data" in result.output
    with rotating.app_context():
        a = FieldCipher(decode_data_key(KEY_A))
        assert all(a.decrypt(t, "member.id_number") for t in _raw("members", "id_number"))


def test_a_duplicate_written_during_rotation_stops_it_with_the_row_named(
    make_app: Callable[..., Flask],
) -> None:
    data = _written_under_a(make_app())
    rotating = make_app(DATA_KEY=KEY_B, DATA_KEY_OLD=KEY_A)
    with rotating.app_context():  # the same person entered again, past every duplicate check
        twin = Member(org_id=db.session.get(Member, data["ids"][0]).org_id, name="重复录入",
                      id_number=data["id_numbers"][0])
        db.session.add(twin)
        db.session.commit()
    result = _rotate(rotating)
    assert result.exit_code == 1
    assert f"党员（members） id={data['ids'][0]} 的新索引与另一行相同" in result.output
    assert DONE not in result.output
