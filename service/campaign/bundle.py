"""Evidence bundle export: a password-encrypted zip an inspector can check with Python's stdlib.

The cards inside hold full ID numbers, so the zip is AES-256 encrypted (WinZip AE-2, which
7-Zip, WinRAR and Bandizip open) with a password given at export; the attachments inside are
the decrypted originals, so verify.py checks their bytes against the entries.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pyzipper
from sqlalchemy import select

from service.clock import format_local, now_utc
from service.errors import ServiceError
from service.evidence import anchors, blobs
from service.evidence.canonical import canonical_json
from service.extensions import db
from service.models import Card, EvidenceEntry, Member, Org
from service.roster.orgs import in_subtree

# Kept short on purpose: an inspector should be able to read every line of it.
VERIFY_PY = '''\
"""Check an evidence bundle: python3 verify.py [folder] [--anchor SEQ:HASH]... (stdlib only)."""
import argparse, hashlib, json, os, sys
p = argparse.ArgumentParser(); p.add_argument("--anchor", action="append", default=[])
p.add_argument("folder", nargs="?", default=os.path.dirname(os.path.abspath(__file__)))
args = p.parse_args(); d = args.folder
canon = lambda o: json.dumps(o, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
sha = lambda b: b is not None and hashlib.sha256(b).hexdigest()  # a missing file: False
read = lambda *n: open(f, "rb").read() if os.path.isfile(f := os.path.join(d, *n)) else None
chain = json.loads(read("chain.json")); held = {0: "0" * 64} | {s: h for s, _, h in chain}
bad = [f"E{seq:06d}: chain broken" for i, (seq, prev, _) in enumerate(chain)
       if seq != i + 1 or prev != held.get(i)]  # held: sequence number -> entry hash
for e in json.loads(read("entries.json")):
    b, s, h = e["entry"], e["entry"]["seq"], e["entry_hash"]
    if sha(canon(b).encode()) != h or held.get(s) != h or held.get(s - 1) != b["prev"]:
        bad.append(f"E{s:06d}: entry altered or not in the chain")
    digests = [a["sha256"] for a in b["attachments"]] + [b["payload_sha256"]]
    files = [("files", x, x) for x in digests] + [("cards", f"{b['card']}.json", b["card_hash"])]
    bad += [f"E{s:06d}: {f}/{n} missing or altered" for f, n, x in files
            if x and sha(read(f, str(n))) != x]
for t in args.anchor:  # a ledger head given out before: this chain must still hold that entry
    s, _, h = t.strip(" …").partition(":")
    if len(h) < 16 or not held.get(int(s.lstrip("Ee")), "-").startswith(h.lower()):
        bad.append(f"anchor {t}: entry missing or different (ledger cut short or rewritten)")
print("\\n".join(bad) or f"OK: {len(chain)} entries, head E{len(chain):06d}:{held[len(chain)]}")
sys.exit(1 if bad else 0)
'''

README = """\
# 证据包说明（党员信息确认凭证）

导出时间：{exported}（北京时间）
导出范围：{scope}
本包凭证：{count} 条
账本锚点（导出时的链头）：{anchor}

本包以 AES-256 加密，密码由导出人另行告知；请用 7-Zip、WinRAR 或 Bandizip 输入密码解压。
（Python：`pip install pyzipper` 后 `pyzipper.AESZipFile("包.zip").extractall(pwd=b"密码")`。）

## 内容
- entries.json：本范围内的凭证，每条为 {{"entry": 凭证内容, "entry_hash": 哈希}}。
- chain.json：导出时整个账本的链 [[序号, 前一凭证哈希, 本凭证哈希], …]，从第 1 条到链头。
- cards/<卡号>.json：党员当时看到并确认的信息卡原文（规范 JSON，含身份证号等个人信息，请妥善保管）。
- files/<SHA-256>：附件（录音、截图、纸质表扫描件）和原始报文的原件（已解密），文件名即其 SHA-256。
- anchor.txt：导出时的账本锚点（链头的凭证编号和哈希），即上面一行。
- verify.py：下述规则的独立检验脚本，只用 Python 标准库：`python3 verify.py`；
  加 `--anchor 凭证编号:哈希`（可重复）还检验第 6 条。

## 检验规则
1. 规范 JSON：json.dumps(内容, ensure_ascii=False, sort_keys=True, separators=(",", ":"))，
   以 UTF-8 编码。内容只含字符串、整数、布尔、null、数组和对象。
2. 每条凭证的哈希 = SHA-256(凭证内容的规范 JSON)，以小写十六进制表示；凭证内容中的 "prev"
   是前一条凭证的哈希，第 1 条的 "prev" 为 64 个 "0"。任何一条被修改、删除、插入或调换顺序，
   其后的链都对不上。
3. chain.json 中第 i 条的序号为 i，前一哈希等于第 i-1 条的本凭证哈希；entries.json 中每条
   凭证须按其 "seq" 出现在 chain.json 中，且两个哈希一致。
4. 附件和原始报文：SHA-256(文件字节) 等于凭证 "attachments"[].sha256 或 "payload_sha256"。
5. 信息卡：SHA-256(cards/<卡号>.json 的字节) 等于凭证的 "card_hash"。

6. 账本锚点：形如 E000123:9f2c…，是某一时刻链头的凭证编号和哈希（或哈希的前 16 位以上）。
   打印的采集表页脚、导出的汇总表、证据包和截止提醒都带有当时的锚点。chain.json 中该编号的
   凭证哈希须与锚点一致；若账本末尾的凭证被删除、或账本被整体重写，此后留存的锚点就对不上：
   `python3 verify.py --anchor E000123:9f2c…`。

本包的锚点 {anchor} 请与党组织另行留存（打印件、存证平台）；以后导出的证据包须仍能通过
`python3 verify.py --anchor {anchor}`，以确认这期间账本未被删减或改写。
"""


MIN_PASSWORD = 6


def export_bundle(target: Path, *, password: str, member: Member | None = None,
                  org: Org | None = None) -> int:
    """Write the bundle for one member or one org subtree to ``target``, encrypted with
    ``password``; return the entry count."""
    if len(password) < MIN_PASSWORD:
        raise ServiceError(f"证据包密码至少 {MIN_PASSWORD} 个字符")
    query = select(EvidenceEntry).order_by(EvidenceEntry.seq)
    if member is not None:
        query = query.where(EvidenceEntry.member_id == member.id)
        scope = f"党员 #{member.id}"
    elif org is not None:
        ids = select(Member.id).join(Org, Org.id == Member.org_id).where(in_subtree(org))
        query = query.where(EvidenceEntry.member_id.in_(ids))
        scope = f"党组织“{org.name}”及其下级"
    else:
        scope = "全部"
    anchor = anchors.current()
    head_seq = anchor.seq
    entries = [e for e in db.session.scalars(query) if e.seq <= head_seq]
    chain = db.session.execute(
        select(EvidenceEntry.seq, EvidenceEntry.prev_hash, EvidenceEntry.entry_hash)
        .where(EvidenceEntry.seq <= head_seq).order_by(EvidenceEntry.seq)
    ).all()
    target.parent.mkdir(parents=True, exist_ok=True)
    with pyzipper.AESZipFile(target, "w", compression=zipfile.ZIP_DEFLATED,
                             encryption=pyzipper.WZ_AES) as zf:
        zf.setpassword(password.encode())
        zf.writestr("entries.json", _json([
            {"entry": json.loads(e.body), "entry_hash": e.entry_hash} for e in entries
        ]))
        zf.writestr("chain.json", _json([list(row) for row in chain]))
        _write_files(zf, entries)
        zf.writestr("verify.py", VERIFY_PY)
        zf.writestr("anchor.txt", anchor.full + "\n")
        zf.writestr("README.md", README.format(
            exported=format_local(now_utc()), scope=scope, count=len(entries),
            anchor=anchor.full,
        ))
    return len(entries)


def _write_files(zf: pyzipper.AESZipFile, entries: list[EvidenceEntry]) -> None:
    digests: set[str] = set()
    card_ids: set[int] = set()
    for entry in entries:
        body = json.loads(entry.body)
        digests.update(a["sha256"] for a in body["attachments"])
        if body["payload_sha256"]:
            digests.add(body["payload_sha256"])
        if body["card"] is not None:
            card_ids.add(body["card"])
    for digest in sorted(digests):
        try:
            data = blobs.read(digest)
        except blobs.Altered:
            data = None
        if data is not None:  # a missing or altered file shows up as missing in verify.py
            zf.writestr(f"files/{digest}", data)
    for card in db.session.scalars(select(Card).where(Card.id.in_(card_ids))):
        zf.writestr(f"cards/{card.id}.json", card.content.encode())


def _json(obj: Any) -> str:
    return canonical_json(obj)
