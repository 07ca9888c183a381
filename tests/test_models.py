"""Members at rest: encrypted numbers, blind-index look-up, no duplicates, versions, locking."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from service.extensions import db
from service.models import Member, MemberVersion
from service.roster import history
from service.roster.members import find_by_id_number, member_record, update_member
from service.roster.orgs import ancestors, subtree_ids
from testkit.factories import make_member, make_org, synthetic_id

ID = synthetic_id(date(1961, 2, 3), 77)
MOBILE = "13912345678"
LANDLINE = "010-87654321"


def _dump_database(app: Flask) -> str:
    """Every value of every table, as text, the way an attacker with the DB would see it."""
    with app.app_context():
        meta = sa.MetaData()
        meta.reflect(db.engine)
        with db.engine.connect() as conn:
            return "\n".join(
                repr(row) for t in meta.sorted_tables for row in conn.execute(sa.select(t))
            )


def test_id_number_and_phones_are_not_stored_in_clear(app: Flask) -> None:
    with app.app_context():
        org = make_org(make_org())
        member = make_member(org, id_number=ID, mobile=MOBILE, landline=LANDLINE)
        update_member(member, {"mobile": "13800000000"}, actor="test", source="admin_edit",
                      basis="电话变更")
        db.session.commit()
    dump = _dump_database(app)
    for secret in (ID, ID[6:14] + ID[14:], MOBILE, "13800000000", LANDLINE, "87654321"):
        assert secret not in dump
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        path = Path(uri.removeprefix("sqlite:///"))
        # Read in another process: closing a file this process opened itself would drop every
        # POSIX lock SQLite holds on it here, and another connection could then reset the WAL.
        files = [str(p) for p in (path, path.with_name(path.name + "-wal")) if p.exists()]
        raw = subprocess.run(["cat", *files], check=True, capture_output=True).stdout
        for secret in (ID, MOBILE, LANDLINE):
            assert secret.encode() not in raw


def test_member_is_found_by_id_number_and_decrypts(app_ctx: Flask) -> None:
    org = make_org(make_org())
    make_member(org, id_number=ID, mobile=MOBILE)
    db.session.commit()
    db.session.expunge_all()
    found = find_by_id_number(ID)
    assert found is not None and found.id_number == ID and found.mobile == MOBILE
    assert find_by_id_number(synthetic_id(date(1961, 2, 3), 78)) is None


def test_same_id_number_cannot_be_stored_twice(app_ctx: Flask) -> None:
    root = make_org()
    make_member(make_org(root), id_number=ID)
    db.session.commit()
    with pytest.raises(IntegrityError):
        make_member(make_org(root), id_number=ID)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Member)) == 1


def test_every_change_is_versioned_with_personal_numbers_sealed(app_ctx: Flask) -> None:
    member = make_member(make_org(make_org()), mobile=MOBILE, education="22")
    version = update_member(member, {"mobile": "13800000000", "education": "21"},
                            actor="admin:1", source="admin_edit", basis="学历证书复印件")
    assert update_member(member, {"education": "21"}, actor="admin:1", source="admin_edit",
                         basis="无变化") is None
    db.session.commit()
    versions = db.session.scalars(
        sa.select(MemberVersion).where(MemberVersion.member_id == member.id)
        .order_by(MemberVersion.revision)).all()
    assert [v.revision for v in versions] == [1, 2] and versions[1] is version
    assert versions[1].basis == "学历证书复印件" and versions[1].actor == "admin:1"
    stored = versions[1].changes
    assert stored["education"] == ["22", "21"]
    assert MOBILE not in repr(stored)
    assert history.unseal(stored)["mobile"] == [MOBILE, "13800000000"]
    assert history.unseal(versions[0].changes)["joined_on"] == [None, "2005-07-01"]


def test_concurrent_edit_of_a_stale_record_is_refused(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    with app.app_context():
        member_id = make_member(make_org(make_org())).id
        db.session.commit()
    other = make_app()  # a second process, in effect: its own engine and session
    with app.app_context():
        first = db.session.get(Member, member_id)
        with other.app_context():
            second = db.session.get(Member, member_id)
            second.address = "北京市西城区另一路1号"
            db.session.commit()
        first.address = "北京市东城区某路2号"
        with pytest.raises(StaleDataError):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(Member, member_id).address == "北京市西城区另一路1号"


def test_record_round_trips_through_the_model(app_ctx: Flask) -> None:
    org = make_org(make_org())
    member = make_member(org, is_floating=True, flow_to="330106", lost_since=None)
    record = member_record(member)
    assert record["branch"] == org.name and record["flow_to"] == "330106"
    assert record["is_floating"] is True and record["birth_date"] == date(1980, 3, 15)


def test_subtree_and_ancestors(app_ctx: Flask) -> None:
    root = make_org()
    general = make_org(root, org_type="621")
    branch = make_org(general)
    other_root = make_org()
    assert set(subtree_ids(root)) == {root.id, general.id, branch.id}
    assert set(subtree_ids(general)) == {general.id, branch.id}
    assert other_root.id not in subtree_ids(root)
    assert [o.id for o in ancestors(branch)] == [root.id, general.id]
