"""One storage interface on both backends (a local folder, S3 on a loopback moto server), and
sealed evidence through it: attach, verify, bundle, a changed byte, files of the old layout."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import pyzipper
from flask import Flask

from service import storage
from service.campaign import workflow
from service.campaign.bundle import export_bundle
from service.clock import now_utc
from service.evidence import blobs
from service.evidence.attachments import store_attachment
from service.evidence.canonical import sha256_hex
from service.evidence.verification import verify_chain
from service.sealing import MAGIC
from service.unit_of_work import run_unit
from testkit.workflow import MP3, confirm_kwargs, started

BACKENDS = ["local", "s3"]


@pytest.fixture(params=BACKENDS)
def any_app(request: pytest.FixtureRequest, make_app: Any) -> Any:
    """An app context on the local-folder backend, then on the S3 backend."""
    extra = request.getfixturevalue("s3_config") if request.param == "s3" else {}
    app = make_app(**extra)
    with app.app_context():
        yield app


def test_store_contract(any_app: Flask) -> None:
    store = storage.store(storage.IMPORTS)
    assert store.get("7/a.bin") is None and not store.exists("7/a.bin")
    store.put("7/a.bin", b"first")
    store.put("7/a.bin", b"second")  # replaced whole
    store.put("8/b.bin", b"other")
    assert store.get("7/a.bin") == b"second" and store.exists("7/a.bin")
    # list-older-than: a cutoff ahead of the clock finds both, one behind it finds none
    assert store.older_than("", now_utc() + timedelta(minutes=5)) == ["7/a.bin", "8/b.bin"]
    assert store.older_than("8/", now_utc() + timedelta(minutes=5)) == ["8/b.bin"]
    assert store.older_than("", now_utc() - timedelta(hours=1)) == []
    assert store.keys("") == ["7/a.bin", "8/b.bin"] and store.keys("8/") == ["8/b.bin"]
    store.delete("7/a.bin")
    store.delete("7/a.bin")  # deleting what is gone is fine
    assert store.get("7/a.bin") is None and not store.exists("7/a.bin")
    # the areas do not see each other's keys
    assert storage.store(storage.EVIDENCE).get("8/b.bin") is None


def test_local_files_are_private_and_keys_stay_inside(app_ctx: Flask) -> None:
    store = storage.store(storage.EVIDENCE)
    store.put("blobs/ab/x", b"data")
    path = Path(app_ctx.config["EVIDENCE_DIR"]) / "blobs" / "ab" / "x"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp-")]
    for bad in ("../x", "/etc/passwd", "a//b", "a/./b", ""):
        with pytest.raises(ValueError):
            store.put(bad, b"x")


def _attach_and_confirm() -> tuple[bytes, str]:
    campaign, members = started()
    a, c = members[0], members[2]
    run_unit(lambda: workflow.confirm(
        _card(campaign.id, a.id), a.id,
        **confirm_kwargs(channel="sms", identity="sms_phone",
                         payload=b"phone=13912345678&content=1")))
    recording = MP3 + b"recording of the call"

    def proxy() -> Any:
        att = store_attachment("录音.mp3", recording, uploaded_by="admin:3")
        return workflow.proxy_confirm(campaign.id, c.id, actor="admin:3", collector_name="李四",
                                      method="phone", confirmed_on=date(2017, 6, 30),
                                      attachments=[att])

    run_unit(proxy)
    return recording, sha256_hex(recording)


def _card(campaign_id: int, member_id: int) -> int:
    from testkit.workflow import cm_of

    return cm_of(campaign_id, member_id).card_id


def test_evidence_round_trip_sealed(any_app: Flask, tmp_path: Path) -> None:
    recording, digest = _attach_and_confirm()
    store = storage.store(storage.EVIDENCE)
    key = blobs.relative_path(digest)
    sealed = store.get(key)
    # sealed and named by a keyed hash: neither the bytes nor their SHA-256 are in storage
    assert sealed is not None and sealed.startswith(MAGIC) and recording not in sealed
    assert digest not in key and store.get(blobs.legacy_path(digest)) is None
    payload = b"phone=13912345678&content=1"
    raw = store.get(blobs.relative_path(sha256_hex(payload)))
    assert raw is not None and b"13912345678" not in raw
    assert blobs.read(digest) == recording
    assert verify_chain().ok

    target = tmp_path / "bundle.zip"
    export_bundle(target, password="inspect-pw")
    folder = tmp_path / "bundle"
    with pyzipper.AESZipFile(target) as zf:
        zf.extractall(folder, pwd=b"inspect-pw")
    assert (folder / "files" / digest).read_bytes() == recording  # decrypted in the bundle
    check = subprocess.run([sys.executable, "-I", "verify.py"], cwd=folder,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr

    # one changed byte of the stored attachment: verify names the entry that cites it
    changed = bytearray(sealed)
    changed[-5] ^= 0x01
    store.put(key, bytes(changed))
    report = verify_chain()
    assert not report.ok and "改动" in (report.problem or "")
    entry = json.loads((folder / "entries.json").read_text("utf-8"))[-1]
    assert report.bad_entry == f"E{entry['entry']['seq']:06d}"
    # and in an exported bundle, the standalone script refuses a changed attachment
    attachment = folder / "files" / digest
    attachment.write_bytes(attachment.read_bytes()[:-1] + b"\x00")
    bad = subprocess.run([sys.executable, "-I", "verify.py"], cwd=folder,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "altered" in bad.stdout


def test_plain_blobs_of_the_old_layout_are_read_then_sealed(app: Flask) -> None:
    with app.app_context():
        recording, digest = _attach_and_confirm()
        store = storage.store(storage.EVIDENCE)
        # as an earlier version stored it: plain, named by its SHA-256
        store.delete(blobs.relative_path(digest))
        store.put(blobs.legacy_path(digest), recording)
        assert blobs.read(digest) == recording and verify_chain().ok
    result = app.test_cli_runner().invoke(args=["evidence", "seal"])
    assert result.exit_code == 0 and "已加密存放 1 个" in result.output, result.output
    with app.app_context():
        store = storage.store(storage.EVIDENCE)
        assert store.get(blobs.legacy_path(digest)) is None
        assert store.get(blobs.relative_path(digest)).startswith(MAGIC)  # type: ignore[union-attr]
        assert blobs.read(digest) == recording and verify_chain().ok
        # a plain file that was changed is not sealed over: verify still reports it
        store.delete(blobs.relative_path(digest))
        store.put(blobs.legacy_path(digest), recording + b"x")
        assert not blobs.seal_legacy(digest)
        assert not verify_chain().ok
