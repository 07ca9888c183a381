"""Data-key rotation of what the key protects beyond the columns: the evidence chain's seals,
the sealed evidence files and the sealed import files, on both storage backends."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import pyzipper
import sqlalchemy as sa
from flask import Flask

from service import key_rotation, storage
from service.admin import import_files
from service.campaign import workflow
from service.campaign.bundle import export_bundle
from service.evidence import blobs, ledger
from service.evidence.attachments import store_attachment
from service.evidence.canonical import canonical_json, sha256_hex
from service.evidence.verification import verify_chain
from service.extensions import db
from service.models import Attachment, EvidenceEntry, EvidenceHead
from service.unit_of_work import run_unit
from testkit.workflow import MP3, cm_of, confirm_kwargs, started
from tests.conftest import TEST_DATA_KEY

KEY_A = TEST_DATA_KEY
KEY_B = "Yi1rZXktZm9yLXJvdGF0aW9uLXRlc3RzLW9ubHktMzI="
DONE = "现在可以从所有主机的环境文件中删除 FLASK_DATA_KEY_OLD"
SMS_RAW = json.dumps({"phone_number": "13912345678", "content": "1", "sequence_id": "88"})
RECORDING = MP3 + b"recording of the call"
ROSTER = b"PK roster with ID numbers 110105194912310021"
JOB = 41


@pytest.fixture(params=["local", "s3"])
def apps(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Callable[..., Flask]:
    """A factory of apps sharing one store (a folder, or one bucket on the loopback S3)."""
    extra = request.getfixturevalue("s3_config") if request.param == "s3" else {}
    return lambda **keys: make_app(**extra, **keys)


def _ledger_under_a(app: Flask) -> dict[str, Any]:
    """An SMS confirmation with its raw payload, a proxy confirmation with a recording, and an
    import upload, all sealed under key A."""
    with app.app_context():
        campaign, members = started()
        a, c = members[0], members[2]
        run_unit(lambda: workflow.confirm(
            cm_of(campaign.id, a.id).card_id, a.id,
            **confirm_kwargs(channel="sms", identity="sms_phone", payload=SMS_RAW.encode())))

        def proxy() -> Any:
            att = store_attachment("录音.mp3", RECORDING, uploaded_by="admin:3")
            return workflow.proxy_confirm(campaign.id, c.id, actor="admin:3",
                                          collector_name="李四", method="phone",
                                          confirmed_on=date(2017, 6, 30), attachments=[att])

        run_unit(proxy)
        import_files.put(JOB, import_files.UPLOAD, ROSTER)
        seqs = {kind: seq for seq, kind in db.session.execute(
            sa.select(EvidenceEntry.seq, EvidenceEntry.kind))}
        return {"files": {sha256_hex(RECORDING): RECORDING,
                          sha256_hex(SMS_RAW.encode()): SMS_RAW.encode()},
                "payload_seq": seqs[ledger.CONFIRMED],
                "count": len(seqs), "campaign": campaign.id}


def _reads_everything(data: dict[str, Any]) -> None:
    report = verify_chain()
    assert report.ok and report.count >= data["count"], report.problem
    for digest, content in data["files"].items():
        assert blobs.read(digest) == content
    assert import_files.get(JOB, import_files.UPLOAD) == ROSTER


def _step(table: str) -> key_rotation.Step:
    return next(s for s in key_rotation.steps() if s.table == table)


def _rotate(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["keys", "rotate-data", *args])


def test_rotation_reseals_the_ledger_and_moves_every_file(
    apps: Callable[..., Flask], tmp_path: Path,
) -> None:
    data = _ledger_under_a(apps())
    payload, recording = sha256_hex(SMS_RAW.encode()), sha256_hex(RECORDING)
    rotating = apps(DATA_KEY=KEY_B, DATA_KEY_OLD=KEY_A)
    with rotating.app_context():
        _reads_everything(data)  # nothing moved yet: A's seals and files hold
        store = storage.store(storage.EVIDENCE)
        # Half-way (one batch each): the first entries re-sealed, the SMS payload moved,
        # the recording (cited later) and the head still under A.
        assert run_unit(lambda: _step("evidence_entries").run(0, 2, True)).stale == 2
        moved = run_unit(lambda: _step("evidence_blobs").run(0, data["payload_seq"], True))
        assert moved.stale == 1 and not moved.unreadable
        assert store.get(blobs.relative_path(payload)) is not None
        assert store.get(blobs.old_relative_path(payload) or "") is None
        assert store.get(blobs.old_relative_path(recording) or "") is not None
        _reads_everything(data)
        # A confirmation during rotation is sealed under B and verifies beside A's seals.
        late = data["campaign"]
        member = db.session.scalar(sa.select(EvidenceEntry.member_id).where(
            EvidenceEntry.kind == ledger.CARD_ISSUED).order_by(EvidenceEntry.seq.desc()))
        pushed = b"<xml>confirmed during rotation</xml>"
        run_unit(lambda: workflow.confirm(cm_of(late, member).card_id, member,
                                          **confirm_kwargs(payload=pushed)))
        data["files"][sha256_hex(pushed)] = pushed
        _reads_everything(data)

    result = _rotate(rotating, "--batch", "2")
    assert result.exit_code == 0, result.output
    assert "凭证链签名（evidence_entries）" in result.output and DONE in result.output
    assert "凭证附件和原始报文（evidence_blobs）：共" in result.output
    assert "导入文件和错误报告（import_files）：共 1 行，本次重新加密 1 行" in result.output

    b_only = apps(DATA_KEY=KEY_B)
    with b_only.app_context():
        _reads_everything(data)
        store = storage.store(storage.EVIDENCE)
        assert store.keys("blobs/") == sorted(blobs.relative_path(d) for d in data["files"])
        assert db.session.scalar(sa.select(Attachment.stored_path)) == \
            blobs.relative_path(recording)
        export_bundle(tmp_path / "bundle.zip", password="inspect-pw")
    verified = b_only.test_cli_runner().invoke(args=["evidence", "verify"])
    assert verified.exit_code == 0 and "证据链完整" in verified.output, verified.output
    folder = tmp_path / "bundle"
    with pyzipper.AESZipFile(tmp_path / "bundle.zip") as zf:
        zf.extractall(folder, pwd=b"inspect-pw")
    assert (folder / "files" / recording).read_bytes() == RECORDING
    check = subprocess.run([sys.executable, "-I", "verify.py"], cwd=folder,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    with apps().app_context():  # nothing is left that only key A holds
        assert not verify_chain().ok
        assert blobs.read(recording) is None
    assert _rotate(apps(DATA_KEY=KEY_B, DATA_KEY_OLD=KEY_A), "--check").exit_code == 0


def _forge_last_entry() -> str:
    """Rewrite the newest entry and re-hash it, with the head to match, without the key."""
    entry = db.session.scalar(sa.select(EvidenceEntry).order_by(EvidenceEntry.seq.desc()))
    body = json.loads(entry.body)
    body["actor"] = entry.actor = "admin:forged"
    entry.body = canonical_json(body)
    entry.entry_hash = sha256_hex(entry.body)
    db.session.get(EvidenceHead, 1).entry_hash = entry.entry_hash
    db.session.commit()
    return f"E{entry.seq:06d}"


def test_a_forged_entry_is_still_named_after_rotation(make_app: Callable[..., Flask]) -> None:
    app_a = make_app()
    _ledger_under_a(app_a)
    with app_a.app_context():
        forged = _forge_last_entry()
        before = verify_chain()
        assert not before.ok and before.bad_entry == forged
    rotating = make_app(DATA_KEY=KEY_B, DATA_KEY_OLD=KEY_A)
    result = _rotate(rotating)
    # Every valid seal moved; the forged one is left broken and named, with the head's.
    assert result.exit_code == 1 and DONE not in result.output
    assert "凭证链签名（evidence_entries）：1 条签名新旧密钥都不符" in result.output
    assert f"（id {forged}）" in result.output
    assert "链头签名（evidence_head）：1 条" in result.output
    with make_app(DATA_KEY=KEY_B).app_context():
        after = verify_chain()
        assert not after.ok and after.bad_entry == forged
        assert "链密钥签名" in (after.problem or "")


def test_an_altered_file_is_left_and_reported(make_app: Callable[..., Flask]) -> None:
    app_a = make_app()
    data = _ledger_under_a(app_a)
    recording = sha256_hex(RECORDING)
    with app_a.app_context():
        store = storage.store(storage.EVIDENCE)
        key = blobs.relative_path(recording)
        store.put(key, (store.get(key) or b"")[:-1] + b"\x00")
    result = _rotate(make_app(DATA_KEY=KEY_B, DATA_KEY_OLD=KEY_A))
    assert result.exit_code == 1 and DONE not in result.output
    assert "用旧密钥打不开或内容已变" in result.output
    with make_app(DATA_KEY=KEY_B, DATA_KEY_OLD=KEY_A).app_context():
        # kept where it was, for the inspection
        assert storage.store(storage.EVIDENCE).get(key) is not None
        report = verify_chain()
        assert not report.ok and "改动" in (report.problem or "")
        assert blobs.read(sha256_hex(SMS_RAW.encode())) == data["files"][
            sha256_hex(SMS_RAW.encode())]
