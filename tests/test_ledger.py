"""The evidence ledger: chain integrity, tamper detection, attachments, and the inspector bundle."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
import pyzipper
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import select

from service.campaign import corrections, workflow
from service.campaign.bundle import export_bundle
from service.errors import ServiceError
from service.evidence import blobs, ledger
from service.evidence.attachments import check, store_attachment
from service.evidence.canonical import canonical_json, sha256_hex
from service.evidence.verification import verify_chain
from service.extensions import db
from service.models import EvidenceEntry, EvidenceHead, Member, Org
from service.unit_of_work import run_unit
from testkit.workflow import MP3, PDF, PNG, cm_of, confirm_kwargs, started


def _busy_ledger() -> tuple[int, list[int]]:
    """Drive a campaign so the ledger holds issues, consent, confirmations, a dispute and a
    proxy confirmation with an attachment; return the campaign id and member ids."""
    campaign, members = started()
    a, b, c, _ = members
    run_unit(lambda: workflow.confirm(cm_of(campaign.id, a.id).card_id, a.id, **confirm_kwargs()))
    run_unit(lambda: corrections.dispute(
        cm_of(campaign.id, b.id).card_id, b.id, proposed={"address": "某地5号"},
        channel="sms", identity="sms_phone", payload=b"2 code"))

    def proxy() -> EvidenceEntry:
        att = store_attachment("录音.mp3", MP3, uploaded_by="admin:3")
        return workflow.proxy_confirm(campaign.id, c.id, actor="admin:3", collector_name="李四",
                                      method="phone", confirmed_on=date(2017, 6, 30),
                                      attachments=[att])

    run_unit(proxy)
    return campaign.id, [m.id for m in members]


def _sql(statement: str, **params: object) -> None:
    db.session.execute(sa.text(statement), params)
    db.session.commit()
    db.session.expire_all()


def test_chain_links_every_entry_and_verifies(app_ctx: Flask) -> None:
    _busy_ledger()
    entries = db.session.scalars(select(EvidenceEntry).order_by(EvidenceEntry.seq)).all()
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    prev = "0" * 64
    for e in entries:
        body = json.loads(e.body)
        assert body["prev"] == prev == e.prev_hash
        assert sha256_hex(canonical_json(body)) == e.entry_hash
        prev = e.entry_hash
    assert db.session.get(EvidenceHead, 1).entry_hash == prev
    report = verify_chain()
    assert report.ok and report.count == len(entries) and report.head_hash == prev


def test_entries_hold_no_full_personal_numbers(app_ctx: Flask) -> None:
    _busy_ledger()
    bodies = " ".join(db.session.scalars(select(EvidenceEntry.body)))
    members = db.session.scalars(select(Member)).all()
    assert members and bodies
    for m in members:
        assert m.id_number not in bodies and m.mobile not in bodies


@pytest.mark.parametrize("tamper, bad", [
    ("UPDATE evidence_entries SET body = REPLACE(body, '\"phone\"', '\"paper\"') "
     "WHERE kind = 'proxy_confirmed'", "proxy"),
    ("UPDATE evidence_entries SET payload_sha256 = :zero WHERE kind = 'disputed'", "disputed"),
    ("DELETE FROM evidence_entries WHERE seq = 3", 3),
    ("DELETE FROM evidence_entries WHERE seq = (SELECT s FROM (SELECT MAX(seq) AS s "
     "FROM evidence_entries) AS t)", "last"),
    ("swap", 3),
])
def test_verify_names_the_first_tampered_entry(app_ctx: Flask, tamper: str, bad: object) -> None:
    _busy_ledger()
    last = db.session.scalar(select(sa.func.max(EvidenceEntry.seq)))
    kinds = {e.kind: e.seq for e in db.session.scalars(select(EvidenceEntry))}
    if tamper == "swap":
        _sql("UPDATE evidence_entries SET seq = -seq WHERE seq IN (3, 4)")
        _sql("UPDATE evidence_entries SET seq = 4 WHERE seq = -3")
        _sql("UPDATE evidence_entries SET seq = 3 WHERE seq = -4")
    else:
        if bad == "last":  # the last entry cites the attachment; MariaDB enforces the key
            _sql("UPDATE evidence_attachments SET entry_id = NULL")
        _sql(tamper, zero="0" * 64)
    expected = {"proxy": kinds["proxy_confirmed"], "disputed": kinds["disputed"],
                "last": last}.get(bad, bad)  # type: ignore[arg-type]
    report = verify_chain()
    assert not report.ok
    assert report.bad_entry == f"E{expected:06d}", report.problem


def test_verify_catches_a_changed_attachment_byte(app_ctx: Flask) -> None:
    _busy_ledger()
    entry = db.session.scalar(select(EvidenceEntry).where(EvidenceEntry.kind == "proxy_confirmed"))
    digest = json.loads(entry.body)["attachments"][0]["sha256"]
    path = blobs.evidence_dir() / blobs.relative_path(digest)
    data = bytearray(path.read_bytes())
    data[10] ^= 0x01
    path.write_bytes(bytes(data))
    report = verify_chain()
    assert report.bad_entry == f"E{entry.seq:06d}" and "改动" in (report.problem or "")


def test_attachment_limits_sniff_the_bytes() -> None:
    assert check("a.png", PNG) == "image/png"
    assert check("扫描件.PDF", PDF) == "application/pdf"
    assert check("r.mp3", MP3) == "audio/mpeg"
    assert check("r.amr", b"#!AMR\n" + b"\x00" * 10) == "audio/amr"
    assert check("r.wav", b"RIFF\x00\x00\x00\x00WAVEfmt ") == "audio/wav"
    assert check("r.m4a", b"\x00\x00\x00\x20ftypM4A \x00\x00") == "audio/mp4"
    assert check("p.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 8) == "image/jpeg"
    with pytest.raises(ServiceError, match="扩展名不符"):
        check("伪装.png", PDF)
    with pytest.raises(ServiceError, match="不支持"):
        check("a.exe", b"MZ\x90\x00")
    with pytest.raises(ServiceError, match="空文件"):
        check("a.png", b"")
    with pytest.raises(ServiceError, match="10MB"):
        check("big.png", PNG + b"\x00" * (10 * 1024 * 1024))


BUNDLE_PASSWORD = "检验密码-2024"


def _export(tmp_path: Path, **scope: object) -> Path:
    target = tmp_path / "bundle.zip"
    export_bundle(target, password=BUNDLE_PASSWORD, **scope)  # type: ignore[arg-type]
    folder = tmp_path / "bundle"
    with zipfile.ZipFile(target) as zf:  # the cards hold full ID numbers: not without it
        with pytest.raises(RuntimeError, match="password"):
            zf.read("entries.json")
    with pyzipper.AESZipFile(target) as zf:
        zf.extractall(folder, pwd=BUNDLE_PASSWORD.encode())
    return folder


def _run_verify(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-I", str(folder / "verify.py")], cwd=folder,
                          capture_output=True, text=True, timeout=60)


def test_bundle_verifies_without_our_code(app_ctx: Flask, tmp_path: Path) -> None:
    _, member_ids = _busy_ledger()
    proxy_member = db.session.get(Member, member_ids[2])
    folder = _export(tmp_path, member=proxy_member)
    entries = json.loads((folder / "entries.json").read_text("utf-8"))
    assert {e["entry"]["kind"] for e in entries} == {"card_issued", "proxy_confirmed"}
    assert len(list((folder / "files").iterdir())) == 1 and (folder / "README.md").exists()
    assert "sort_keys=True" in (folder / "README.md").read_text("utf-8")
    ok = _run_verify(folder)
    assert ok.returncode == 0 and ok.stdout.startswith("OK"), ok.stdout + ok.stderr
    assert len((folder / "verify.py").read_text().splitlines()) <= 25

    # an inspector's copy that was altered is refused
    entries[-1]["entry"]["data"]["method"] = "paper"
    (folder / "entries.json").write_text(json.dumps(entries, ensure_ascii=False), "utf-8")
    bad = _run_verify(folder)
    assert bad.returncode == 1 and "altered" in bad.stdout

    org_folder = _export(tmp_path / "org", org=db.session.scalar(
        select(Org).where(Org.parent_id.is_(None))))
    assert _run_verify(org_folder).returncode == 0
    card_file = next((org_folder / "cards").iterdir())
    original = card_file.read_bytes()
    card_file.write_bytes(original.replace(b"\"address\":\"", b"\"address\":\"X"))
    assert _run_verify(org_folder).returncode == 1
    card_file.write_bytes(original)
    attachment = next((org_folder / "files").iterdir())
    attachment.write_bytes(attachment.read_bytes()[:-1] + b"\x01")
    assert _run_verify(org_folder).returncode == 1


def test_record_event_is_idempotent_per_key(app_ctx: Flask) -> None:
    campaign, members = started()
    card = cm_of(campaign.id, members[0].id).card
    first = run_unit(lambda: ledger.record_event("delivered", card, actor="system",
                                                 channel="sms", idempotency_key="rcpt:1"))
    again = run_unit(lambda: ledger.record_event("delivered", card, actor="system",
                                                 channel="sms", idempotency_key="rcpt:1"))
    assert first.seq == again.seq
    assert len(ledger.entries_for(members[0].id, "delivered")) == 1
