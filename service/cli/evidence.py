"""`flask evidence …`: check the evidence chain and export bundles for inspectors."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from service import audit
from service.campaign.bundle import export_bundle
from service.errors import NotFound, ServiceError
from service.evidence import anchors, blobs
from service.evidence.verification import verify_chain
from service.extensions import db
from service.models import EvidenceEntry, Member
from service.roster.orgs import find_org
from service.unit_of_work import run_unit

group = AppGroup("evidence", help="确认凭证（证据链）。")


@group.command(
    "verify", help="校验整条凭证链和附件哈希；发现篡改时指出第一条有问题的凭证。")
@click.option("--anchor", "anchor_texts", multiple=True, metavar="SEQ:HASH",
              help="此前留存的账本锚点（打印件、导出文件、证据包上的“账本锚点”），可重复；"
                   "账本须仍含该条凭证且哈希相同")
def verify(anchor_texts: tuple[str, ...]) -> None:
    """Recompute the whole chain and attachment hashes; exit non-zero at the first bad entry."""
    try:
        given = [anchors.parse(text) for text in anchor_texts]
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    report = verify_chain(anchors=given)
    if not report.ok:
        raise click.ClickException(f"证据链校验未通过：{report.problem}")
    held = f"，{len(given)} 个锚点均相符" if given else ""
    click.echo(f"证据链完整：共 {report.count} 条凭证{held}；链头（账本锚点）"
               f"{anchors.Anchor(report.head_seq, report.head_hash).full}")


@group.command(
    "seal", help="把早期未加密存放的附件和原始报文加密存放（可重复执行）。")
def seal() -> None:
    """Seal every blob the ledger cites that is still stored plain (the earlier layout)."""
    digests: set[str] = set()
    for body in db.session.scalars(select(EvidenceEntry.body)):
        entry = json.loads(body)
        digests.update(a["sha256"] for a in entry.get("attachments", []))
        if entry.get("payload_sha256"):
            digests.add(entry["payload_sha256"])
    sealed = sum(blobs.seal_legacy(d) for d in sorted(digests))
    click.echo(f"已加密存放 {sealed} 个早期文件（共检查 {len(digests)} 个）。")


@group.command(
    "export", help="导出凭证包（凭证、附件、哈希链、说明和独立校验脚本），以密码加密。")
@click.option("--member", "member_id", type=int, default=None, help="党员编号")
@click.option("--org", "org_name", default=None, help="党组织全称（含其下级）")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出的 zip 文件")
@click.option("--password", default=None,
              help="证据包含身份证号等个人信息，以此密码加密（AES-256）；不给则提示输入")
def export(member_id: int | None, org_name: str | None, output: Path,
           password: str | None) -> None:
    """Write an evidence bundle (entries, files, chain, README, verify.py) for a member or org."""
    if (member_id is None) == (org_name is None):
        raise click.ClickException("请指定 --member 或 --org 之一")
    try:
        member = org = None
        if member_id is not None:
            member = db.session.get(Member, member_id)
            if member is None:
                raise NotFound(f"党员 #{member_id} 不存在")
        else:
            org = find_org(org_name or "")
        if password is None:
            password = click.prompt("证据包密码", hide_input=True, confirmation_prompt=True)
        count = export_bundle(output, password=password, member=member, org=org)
        # The bundle holds full records: who took one out is itself on record.
        run_unit(partial(audit.record, "evidence.export", actor="cli",
                         target_type="member" if member else "org",
                         target_id=member.id if member else org.id if org else None,
                         entries=count, file=output.name))
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"已导出证据包 {output}：{count} 条凭证。")
