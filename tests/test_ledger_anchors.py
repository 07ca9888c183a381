"""Every column of an entry is proven by its body; anchors given out catch a cut-short ledger."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import pyzipper
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from service.campaign import corrections, workflow
from service.campaign.bundle import export_bundle
from service.errors import ServiceError
from service.evidence import anchors, ledger, seal
from service.evidence.canonical import canonical_json, sha256_hex
from service.evidence.verification import verify_chain
from service.extensions import db
from service.models import EvidenceEntry, EvidenceHead, Org
from service.unit_of_work import run_unit
from testkit.workflow import cm_of, confirm_kwargs, started


def _ledger() -> list[int]:
    """A campaign with one confirmation and one dispute (sent by SMS); return member ids."""
    campaign, members = started()
    a, b = members[0], members[1]
    run_unit(lambda: workflow.confirm(cm_of(campaign.id, a.id).card_id, a.id, **confirm_kwargs()))
    run_unit(lambda: corrections.dispute(
        cm_of(campaign.id, b.id).card_id, b.id, proposed={"address": "某地5号"},
        channel="sms", identity="sms_phone", payload=b"2 code"))
    return [m.id for m in members]


def _sql(statement: str, **params: object) -> None:
    db.session.execute(sa.text(statement), params)
    db.session.commit()
    db.session.expire_all()


def _cut_to(seq: int, *, with_key: bool = True) -> None:
    """Delete every entry after ``seq`` and rewrite the head to match: a clean truncation,
    by someone holding the chain key (who can seal the new head) or not."""
    kept = db.session.scalar(select(EvidenceEntry.entry_hash).where(EvidenceEntry.seq == seq))
    _sql("UPDATE evidence_attachments SET entry_id = NULL")
    _sql("DELETE FROM evidence_entries WHERE seq > :seq", seq=seq)
    _sql("UPDATE evidence_head SET seq = :seq, entry_hash = :h, seal = :s", seq=seq, h=kept,
         s=seal.head_seal(seq, kept) if with_key else None)


def _rehash(edit: Callable[[EvidenceEntry, dict], None], *, with_key: bool) -> None:
    """Rewrite every entry through ``edit`` and re-hash the chain and its head, as a forger."""
    prev = "0" * 64
    for entry in db.session.scalars(select(EvidenceEntry).order_by(EvidenceEntry.seq)).all():
        body = json.loads(entry.body)
        edit(entry, body)
        body["prev"] = entry.prev_hash = prev
        entry.body = canonical_json(body)
        entry.entry_hash = prev = sha256_hex(entry.body)
        entry.seal = seal.entry_seal(prev) if with_key else entry.seal
    head = db.session.get(EvidenceHead, ledger.HEAD_ID)
    head.entry_hash = prev
    head.seal = seal.head_seal(head.seq, prev) if with_key else head.seal
    db.session.commit()


def _seal_as_the_migration_does() -> None:
    path = Path(__file__).parent.parent / "service/migrations/versions/0015_evidence_v2.py"
    spec = importlib.util.spec_from_file_location("migration_0015", path)
    assert spec and spec.loader
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with Operations.context(MigrationContext.configure(db.session.connection())):
        migration._seal_existing()
    db.session.commit()
    db.session.expire_all()


@pytest.mark.parametrize("column, value", [
    ("recorded_at", "2001-02-03 04:05:06"), ("channel", "wechat"), ("identity", "wechat_oauth"),
    ("actor", "admin:99"), ("ip", "10.9.8.7"), ("provider_msg_id", "forged-1"),
    ("user_agent", "Forged/1.0"), ("idempotency_key", "forged:key"),
])
def test_editing_any_column_names_the_entry(app_ctx: Flask, column: str, value: str) -> None:
    _ledger()
    disputed = db.session.scalar(select(EvidenceEntry).where(EvidenceEntry.kind == "disputed"))
    assert verify_chain().ok
    _sql(f"UPDATE evidence_entries SET {column} = :v WHERE seq = :seq", v=value,
         seq=disputed.seq)
    report = verify_chain()
    assert not report.ok
    assert report.bad_entry == disputed.evidence_id and column in (report.problem or "")


def _as_version_1(entry: EvidenceEntry, body: dict) -> None:
    del body["key"]
    body["v"] = 1
    entry.seal = None


def test_version_1_entries_still_verify_and_the_chain_goes_on(app_ctx: Flask) -> None:
    _ledger()
    # The ledger as it was before version 2 (no "key" in any body) and before seals.
    _rehash(_as_version_1, with_key=False)
    _sql("UPDATE evidence_head SET seal = NULL")
    assert "链密钥签名" in (verify_chain().problem or "")
    _seal_as_the_migration_does()
    assert verify_chain().ok
    member_id = db.session.scalar(select(EvidenceEntry.member_id).limit(1))
    run_unit(lambda: ledger.append(ledger.CONSENT, actor="t", member_id=member_id,
                                   idempotency_key="consent:t"))
    newest = db.session.scalar(select(EvidenceEntry).order_by(EvidenceEntry.seq.desc()).limit(1))
    assert json.loads(newest.body)["key"] == "consent:t" and verify_chain().ok


def test_the_migration_seals_a_legacy_ledger_only_up_to_a_break(app_ctx: Flask) -> None:
    _ledger()
    _sql("UPDATE evidence_entries SET seal = NULL")
    _sql("UPDATE evidence_head SET seal = NULL")
    _sql("UPDATE evidence_entries SET prev_hash = :zero WHERE seq = 3", zero="0" * 64)
    _seal_as_the_migration_does()
    sealed = dict(db.session.execute(select(EvidenceEntry.seq, EvidenceEntry.seal)).all())
    assert sealed[1] and sealed[2] and not any(v for k, v in sealed.items() if k >= 3)
    assert db.session.get(EvidenceHead, ledger.HEAD_ID).seal is None
    assert verify_chain().bad_entry == "E000003"


def test_anchors_read_back_in_both_printed_forms() -> None:
    anchor = anchors.Anchor(123, "9f2c" + "0" * 60)
    assert anchor.full == "E000123:" + anchor.entry_hash
    assert anchor.short == "E000123:9f2c000000000000"
    assert anchors.parse(anchor.full) == anchor
    assert anchors.parse(f" {anchor.short}… ") == anchors.Anchor(123, "9f2c000000000000")
    assert anchors.parse("123：9F2C000000000000").seq == 123
    for bad in ("E000123", "E1:9f2c", "x:9f2c000000000000", "E1:" + "g" * 16):
        with pytest.raises(ServiceError, match="锚点"):
            anchors.parse(bad)


def _verify(runner: FlaskCliRunner, *given: str) -> tuple[int, str]:
    args = ["evidence", "verify"]
    for anchor in given:
        args += ["--anchor", anchor]
    result = runner.invoke(args=args)
    return result.exit_code, result.output


def test_verify_with_an_anchor_catches_a_cut_short_ledger(
    app: Flask, runner: FlaskCliRunner,
) -> None:
    with app.app_context():
        _ledger()
        before = anchors.current()  # what an export printed then
        first = anchors.Anchor(1, db.session.scalar(
            select(EvidenceEntry.entry_hash).where(EvidenceEntry.seq == 1)))
    assert before.seq > 3
    code, out = _verify(runner, before.full, first.short)
    assert code == 0 and "2 个锚点均相符" in out and before.full in out

    with app.app_context():
        _cut_to(before.seq - 2, with_key=False)
    code, out = _verify(runner)
    assert code != 0 and "链头的链密钥签名不符" in out
    with app.app_context():
        _cut_to(before.seq - 2)  # by someone holding the key: only anchors can tell
    code, out = _verify(runner)
    assert code == 0, out
    code, out = _verify(runner, first.full, before.short)
    assert code != 0 and f"锚点 {before.short}" in out and "末尾凭证被删除" in out
    code, out = _verify(runner, "E12:zz")
    assert code != 0 and "格式不对" in out


def _forge_actor(entry: EvidenceEntry, body: dict) -> None:
    if entry.seq == 2:
        body["actor"] = entry.actor = "admin:99"


def test_a_rehashed_chain_fails_without_the_key_and_against_an_anchor(app_ctx: Flask) -> None:
    _ledger()
    given = anchors.current()
    # A forger edits an early entry and re-hashes everything after it, head included.
    _rehash(_forge_actor, with_key=False)
    report = verify_chain()
    assert report.bad_entry == "E000002" and "链密钥签名" in (report.problem or "")
    _rehash(lambda entry, body: None, with_key=True)  # one who also holds the chain key
    assert verify_chain().ok
    report = verify_chain(anchors=[given])
    assert not report.ok and report.bad_entry == ledger.evidence_id(given.seq)
    assert "哈希与锚点不同" in (report.problem or "")


PASSWORD = "anchor-test"  # bundles are AES zips under a password given at export


def _bundle(tmp_path: Path, name: str) -> Path:
    target = tmp_path / f"{name}.zip"
    export_bundle(target, org=db.session.scalar(select(Org).where(Org.parent_id.is_(None))),
                  password=PASSWORD)
    folder = tmp_path / name
    with pyzipper.AESZipFile(target) as zf:
        zf.setpassword(PASSWORD.encode())
        zf.extractall(folder)
    return folder


def _run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-I", str(folder / "verify.py"), *args], cwd=folder,
                          capture_output=True, text=True, timeout=60)


def test_bundle_carries_its_anchor_and_verify_py_checks_earlier_ones(
    app_ctx: Flask, tmp_path: Path,
) -> None:
    _ledger()
    first = _bundle(tmp_path, "first")
    given = (first / "anchor.txt").read_text().strip()
    assert given == anchors.current().full and given in (first / "README.md").read_text()
    ok = _run(first, "--anchor", given)
    assert ok.returncode == 0 and ok.stdout.startswith(f"OK: {anchors.current().seq} entries")

    _cut_to(anchors.current().seq - 2)
    later = _bundle(tmp_path, "later")
    assert _run(later).returncode == 0  # a clean truncation: the chain alone holds
    short = anchors.parse(given).short
    for anchor in (given, short):
        bad = _run(later, "--anchor", anchor)
        assert bad.returncode == 1 and f"anchor {anchor}" in bad.stdout, bad.stdout + bad.stderr
    # an anchor from before the cut is still held, from another folder too
    held = anchors.Anchor(2, db.session.scalar(
        select(EvidenceEntry.entry_hash).where(EvidenceEntry.seq == 2)))
    elsewhere = subprocess.run([sys.executable, "-I", str(later / "verify.py"), str(later),
                                "--anchor", held.short], cwd=tmp_path, capture_output=True,
                               text=True, timeout=60)
    assert elsewhere.returncode == 0, elsewhere.stdout + elsewhere.stderr
    assert _run(later, "--anchor", "E2:9f2c").returncode == 1  # too short to prove anything
