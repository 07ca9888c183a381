"""Data-key rotation: re-encrypt every sealed value and recompute every blind index, in batches;
then re-seal the evidence chain and the sealed files (service.key_rotation.files).

Runs with FLASK_DATA_KEY = the new key and FLASK_DATA_KEY_OLD = the old one, once every
process has been restarted with both (they then read under either key and write under the
new one). Each step walks one table in id order, ``size`` rows per call, and reports what it
found; the caller (``flask keys rotate-data``) commits after every call, so an interrupted
run loses one batch at most and the next run skips whatever is already under the new key.
A rewrite replaces only the exact ciphertext it read: a row changed meanwhile by a running
process (which wrote under the new key) is left alone. Nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from sqlalchemy.exc import IntegrityError

from service.crypto import EncryptedColumn, blind_index, cipher
from service.extensions import db
from service.models import Member, MemberVersion, OtpCode, OutboxMessage
from service.models.inbox import SMS_ALIYUN, SMS_TENCENT
from service.models.outbox import OTP
from service.notify.messages import CODE_PURPOSE
from service.records.phones import normalize_mobile
from service.roster import history

LABELS = {
    "members": "党员", "orgs": "党组织", "cards": "确认卡", "correction_requests": "更正申请",
    "inbox_messages": "收到的消息", "wechat_tokens": "微信访问令牌",
    "member_versions": "党员信息变更记录", "outbox_messages": "验证码短信", "otp_codes": "验证码",
    "contact_records": "代为确认联系记录", "evidence_entries": "凭证链签名",
    "evidence_head": "链头签名",
    "evidence_blobs": "凭证附件和原始报文", "import_files": "导入文件和错误报告",
}
_UNREADABLE = (InvalidTag, ValueError)
_MOBILE_PURPOSE = Member.__table__.c.mobile.type.purpose


@dataclass
class Batch:
    """One call's findings: the last id looked at (None: nothing left) and what was stale."""

    last_id: int | None
    scanned: int = 0
    stale: int = 0  # rows holding something under the old key (rewritten when writing)
    unreadable: list[int] = field(default_factory=list)  # ids that neither key opens


@dataclass(frozen=True)
class Step:
    """One table's part of the rotation: ``run(after_id, size, write)`` and its row count.

    ``problem`` says what is wrong with an unreadable row and ``show`` prints its id.
    """

    table: str
    run: Callable[[int, int, bool], Batch]
    total: Callable[[], int]
    problem: str = "行无法解密"
    show: Callable[[int], str] = str

    @property
    def label(self) -> str:
        return f"{LABELS.get(self.table, self.table)}（{self.table}）"


class RotationConflict(RuntimeError):
    """A recomputed index collides with another row's (a duplicate written during rotation)."""

    def __init__(self, table: str, row_id: int) -> None:
        super().__init__(f"{table} id={row_id}")
        self.table, self.row_id = table, row_id


def steps() -> list[Step]:
    """Return every step: each table with encrypted columns, the values sealed in JSON, then
    the evidence seals and the sealed files."""
    from service.key_rotation import files

    sealed = [_sealed_step(t) for t in db.metadata.sorted_tables
              if any(isinstance(c.type, EncryptedColumn) for c in t.columns)]
    return [*sealed, Step("member_versions", _versions, _count(MemberVersion.__table__)),
            Step("outbox_messages", _otp_messages,
                 _count(OutboxMessage.__table__, OutboxMessage.kind == OTP)),
            Step("otp_codes", _otp_phones, _count(OtpCode.__table__)), *files.steps()]


def _count(table: sa.Table, *where: Any) -> Callable[[], int]:
    return lambda: int(db.session.scalar(sa.select(sa.func.count()).select_from(table)
                                         .where(*where)) or 0)


# ---- tables with encrypted columns -----------------------------------------------------------

Derive = Callable[[Mapping[str, Any], dict[str, str | None]], dict[str, str | None]]


def _member_indexes(row: Mapping[str, Any], plain: dict[str, str | None]) -> dict[str, str | None]:
    return {"id_number_bidx": blind_index(plain["id_number"], "id_number"),
            "mobile_bidx": blind_index(plain["mobile"], "mobile")}


def _inbox_sender(row: Mapping[str, Any], plain: dict[str, str | None]) -> dict[str, str | None]:
    # An SMS reply is filed under its sender's phone index (a WeChat push under the openid).
    if row["sender_bidx"] is None or row["source"] not in (SMS_ALIYUN, SMS_TENCENT):
        return {}
    phone = _sms_sender(plain["raw"] or "")
    return {"sender_bidx": blind_index(phone, "mobile")} if phone else {}


def _sms_sender(raw: str) -> str | None:
    """Return the sender of a stored SMS reply item (Aliyun phone_number, Tencent mobile)."""
    try:
        item = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(item, dict):
        return None
    if "phone_number" in item:
        return normalize_mobile(str(item["phone_number"] or ""))
    nation = str(item.get("nationcode") or "86").strip().lstrip("+")
    return normalize_mobile(str(item.get("mobile") or "")) if nation == "86" else None


# table → (recompute its index columns from the decrypted values, the columns that needs)
_DERIVED: dict[str, tuple[Derive, tuple[str, ...]]] = {
    "members": (_member_indexes, ("id_number_bidx", "mobile_bidx")),
    "inbox_messages": (_inbox_sender, ("source", "sender_bidx")),
}


def _sealed_step(table: sa.Table) -> Step:
    sealed = {c.name: c.type.purpose for c in table.columns if isinstance(c.type, EncryptedColumn)}
    derive, extra = _DERIVED.get(table.name, (None, ()))
    # Untyped columns: the stored ciphertext as it is, past the encrypting column type.
    raw = sa.table(table.name, *(sa.column(n) for n in ("id", *sealed, *extra)))

    def run(after: int, size: int, write: bool) -> Batch:
        rows = db.session.execute(sa.select(raw).where(raw.c.id > after)
                                  .order_by(raw.c.id).limit(size)).mappings().all()
        batch = Batch(int(rows[-1]["id"]) if rows else None, len(rows))
        for row in rows:
            plain: dict[str, str | None] = {}
            values: dict[str, str | None] = {}
            try:
                for name, purpose in sealed.items():
                    plain[name], token = (None, None) if row[name] is None else \
                        cipher().reseal(row[name], purpose)
                    if token is not None:
                        values[name] = token
            except _UNREADABLE:
                batch.unreadable.append(int(row["id"]))
                continue
            if derive is not None:
                values.update({k: v for k, v in derive(row, plain).items() if v != row[k]})
            if not values:
                continue
            batch.stale += 1
            if write:
                # Only if every sealed value is still the one read (compare-and-swap).
                guards = [raw.c[n].is_(None) if row[n] is None else raw.c[n] == row[n]
                          for n in sealed]
                _execute(table.name, int(row["id"]), sa.update(raw).where(
                    raw.c.id == row["id"], *guards).values(values))
        return batch

    return Step(table.name, run, _count(table))


def _execute(table: str, row_id: int, statement: sa.Executable) -> None:
    try:
        db.session.execute(statement)
    except IntegrityError as exc:
        raise RotationConflict(table, row_id) from exc


# ---- values sealed inside JSON, and hashes kept beside them ----------------------------------

def _versions(after: int, size: int, write: bool) -> Batch:
    t = MemberVersion.__table__
    rows = db.session.execute(sa.select(t.c.id, t.c.changes).where(t.c.id > after)
                              .order_by(t.c.id).limit(size)).all()
    batch = Batch(int(rows[-1][0]) if rows else None, len(rows))
    for row_id, changes in rows:
        try:
            resealed = history.reseal(changes or {})
        except _UNREADABLE:
            batch.unreadable.append(int(row_id))
            continue
        if resealed is not None:
            batch.stale += 1
            if write:  # versions are never updated otherwise: no race to guard against
                db.session.execute(sa.update(t).where(t.c.id == row_id).values(changes=resealed))
    return batch


def _otp_messages(after: int, size: int, write: bool) -> Batch:
    """One-time codes waiting in the outbox (sealed in the payload), and each code's hash."""
    t, codes = OutboxMessage.__table__, OtpCode.__table__
    rows = db.session.execute(sa.select(t.c.id, t.c.payload).where(t.c.id > after, t.c.kind == OTP)
                              .order_by(t.c.id).limit(size)).all()
    batch = Batch(int(rows[-1][0]) if rows else None, len(rows))
    old = cipher().old
    for row_id, payload in rows:
        try:
            code, token = cipher().reseal(str(payload["code"]), CODE_PURPOSE)
        except (*_UNREADABLE, KeyError, TypeError):
            batch.unreadable.append(int(row_id))
            continue
        otp = db.session.execute(sa.select(codes.c.salt, codes.c.code_hash)
                                 .where(codes.c.id == payload.get("code_id"))).first()
        old_hash = old.blind_index(f"{otp.salt}:{code}", "otp") if otp and old else None
        rehash = otp is not None and otp.code_hash == old_hash
        if token is None and not rehash:
            continue
        batch.stale += 1
        if write and token is not None:
            db.session.execute(sa.update(t).where(t.c.id == row_id)
                               .values(payload={**payload, "code": token}))
        if write and rehash:
            db.session.execute(sa.update(codes).where(
                codes.c.id == payload["code_id"], codes.c.code_hash == old_hash)
                .values(code_hash=blind_index(f"{otp.salt}:{code}", "otp")))
    return batch


def _otp_phones(after: int, size: int, write: bool) -> Batch:
    """Codes sent so far count against the phone's index (hourly limit): move them over."""
    t = OtpCode.__table__
    members = sa.table("members", sa.column("id"), sa.column("mobile"))
    rows = db.session.execute(sa.select(t.c.id, t.c.member_id, t.c.phone_bidx)
                              .where(t.c.id > after).order_by(t.c.id).limit(size)).all()
    batch = Batch(int(rows[-1][0]) if rows else None, len(rows))
    old = cipher().old
    sealed = dict(db.session.execute(sa.select(members.c.id, members.c.mobile).where(
        members.c.id.in_({r.member_id for r in rows}))).all()) if rows and old else {}
    for row in rows:
        if not sealed.get(row.member_id):
            continue
        try:
            mobile = cipher().decrypt(sealed[row.member_id], _MOBILE_PURPOSE)
        except _UNREADABLE:
            continue  # the members step reports that row
        if old is not None and row.phone_bidx == old.blind_index(mobile, "mobile"):
            batch.stale += 1
            if write:
                db.session.execute(sa.update(t).where(
                    t.c.id == row.id, t.c.phone_bidx == row.phone_bidx)
                    .values(phone_bidx=blind_index(mobile, "mobile")))
    return batch
