"""Admin 导出 pages: 附件3/附件4 workbooks (optionally encrypted for 报送), printed forms,
evidence bundles and QR posters, each scoped to the user's subtree and audited."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import IO, Any

from flask import Blueprint, current_app, render_template, request, send_file

from service.admin import scope
from service.admin.auth import login_required, requester, signed_in_user
from service.admin.downloads import PDF, XLSX, ZIP, add_filters, depth, org_choices, send_built
from service.campaign.bundle import export_bundle
from service.clock import today_local
from service.errors import NotFound, ServiceError
from service.extensions import db
from service.forms.poster import poster_pdf
from service.identity.binding_qr import poster_payload
from service.models import AdminUser, Member, Org
from service.records.member_sheet import write_members
from service.records.org_sheet_write import write_orgs
from service.roster import exporting, forms
from service.unit_of_work import run_unit

bp = Blueprint("admin_exports", __name__, url_prefix="/admin")
add_filters(bp)
MAX_PASSWORD = 64
EXPORT = "export"  # the permission every page here needs


def _scope(user: AdminUser) -> Org | None:
    """The org picked in the form; None (everything) only for those who see everything."""
    raw = request.form.get("org_id") or ""
    if not raw and scope.sees_everything(user):
        return None
    if not raw:
        return user.org
    try:
        return scope.get_org(user, int(raw))
    except ValueError:
        raise NotFound("党组织不存在或不在您的管理范围内") from None


def _password() -> str | None:
    password = request.form.get("password") or ""
    if not password:
        return None
    if len(password) < 6 or len(password) > MAX_PASSWORD:
        raise ServiceError(f"报送密码应为 6 至 {MAX_PASSWORD} 个字符")
    if password != request.form.get("password2", ""):
        raise ServiceError("两次输入的报送密码不一致")
    return password


def _member(user: AdminUser) -> Member:
    """The member named in the form by number or exact name, within scope."""
    raw = (request.form.get("member") or "").strip()
    if not raw:
        raise ServiceError("请填写党员编号或姓名")
    if raw.isdigit():
        return scope.get_member(user, int(raw))
    found = list(db.session.scalars(scope.member_query(user).where(Member.name == raw).limit(2)))
    if not found:
        raise NotFound(f"您的管理范围内没有名为“{raw}”的党员")
    if len(found) > 1:
        raise ServiceError(f"您的管理范围内有多名“{raw}”，请改填党员编号")
    return found[0]


def _stamp(name: str) -> str:
    return f"{name}-{today_local():%Y%m%d}"


@bp.get("/exports")
@login_required
def index() -> str:
    """Show every export the user may take, each with its scope picker."""
    user = signed_in_user(EXPORT)
    orgs = org_choices(user)
    return render_template("admin/exports.html", orgs=orgs, depth=depth,
                           everything=scope.sees_everything(user))


@bp.post("/exports/members.xlsx")
@login_required
def members() -> Any:
    """Download 附件4 党员基本信息汇总表 of the picked subtree."""
    return _workbook("党员基本信息汇总表", "members.export", write_members,
                     exporting.member_records)


@bp.post("/exports/orgs.xlsx")
@login_required
def orgs() -> Any:
    """Download 附件3 党组织和所在单位信息汇总表 (with its 附页) of the picked subtree."""
    return _workbook("党组织和所在单位信息汇总表", "orgs.export", write_orgs,
                     exporting.org_records)


def _workbook(title: str, action: str, write_sheet: Callable[..., int],
              records: Callable[[Org | None], Any]) -> Any:
    """Stream one roster workbook of the picked subtree (encrypted when asked), audited."""
    user = signed_in_user(EXPORT)
    org, password = _scope(user), _password()
    party = exporting.committee_name(org)

    def write(out: IO[bytes]) -> int:
        return write_sheet(out, records(org), party=party, on=today_local(),
                           mark=exporting.anchor_stamp())

    response, count = send_built(write, filename=f"{_stamp(title)}.xlsx", mimetype=XLSX,
                                 password=password)
    run_unit(partial(requester().audit, action, target_type="org",
                     target_id=org.id if org else None, scope=org.name if org else "全部",
                     count=count, encrypted=bool(password)))
    return response


def _font() -> str | None:
    return current_app.config.get("PDF_FONT")


@bp.post("/exports/forms/member.pdf")
@login_required
def member_form() -> Any:
    """Download one member's 党员基本信息采集表 (附件2) with the evidence annotation."""
    member = _member(signed_in_user(EXPORT))
    response, pages = send_built(lambda out: forms.member_pdf(member, out, font=_font()),
                                 filename=f"党员基本信息采集表-{member.name}.pdf", mimetype=PDF)
    run_unit(partial(requester().audit, "export.form", target_type="member",
                     target_id=member.id, form="附件2", pages=pages))
    return response


@bp.post("/exports/forms/branch.pdf")
@login_required
def branch_forms() -> Any:
    """Download the 附件2 page of every member of one org, by name."""
    org = _scope(signed_in_user(EXPORT)) or _refuse_everything()
    response, pages = send_built(lambda out: forms.branch_pdf(org, out, font=_font()),
                                 filename=f"党员基本信息采集表-{org.name}.pdf", mimetype=PDF)
    run_unit(partial(requester().audit, "export.form", target_type="org", target_id=org.id,
                     form="附件2", pages=pages))
    return response


@bp.post("/exports/forms/org.pdf")
@login_required
def org_form() -> Any:
    """Download one org's 党组织和所在单位基本信息采集表 (附件1)."""
    org = _scope(signed_in_user(EXPORT)) or _refuse_everything()
    response, pages = send_built(
        lambda out: forms.org_pdf(org, out, printed_on=today_local(), font=_font()),
        filename=f"党组织和所在单位基本信息采集表-{org.name}.pdf", mimetype=PDF)
    run_unit(partial(requester().audit, "export.form", target_type="org", target_id=org.id,
                     form="附件1", pages=pages))
    return response


def _refuse_everything() -> Org:
    raise ServiceError("请选择一个党组织")


@bp.post("/exports/evidence.zip")
@login_required
def bundle() -> Any:
    """Download the evidence bundle (entries, files, chain proof) of a member or an org."""
    user = signed_in_user(EXPORT)
    member = _member(user) if request.form.get("member") else None
    org = None if member else (_scope(user) or _refuse_everything())
    password = _password()
    if password is None:  # the cards inside hold full ID numbers
        raise ServiceError("请设置证据包密码（6 个字符以上），解压时需输入")
    fd, name = tempfile.mkstemp(suffix=".zip")
    os.close(fd)
    path = Path(name)
    try:
        count = export_bundle(path, password=password, member=member, org=org)
        handle = open(path, "rb")  # noqa: SIM115 - send_file closes it after streaming
    finally:
        path.unlink(missing_ok=True)  # the open handle still reads it; nothing stays on disk
    what = f"党员{member.id}" if member else org.name if org else ""
    run_unit(partial(requester().audit, "evidence.export",
                     target_type="member" if member else "org",
                     target_id=member.id if member else org.id if org else None, entries=count))
    return send_file(handle, mimetype=ZIP, as_attachment=True,
                     download_name=f"证据包-{what}-{today_local():%Y%m%d}.zip")


@bp.get("/exports/posters")
@login_required
def posters() -> str:
    """QR posters for members to bind their WeChat: pick an org in scope, print its poster."""
    user = signed_in_user(EXPORT)
    return render_template("admin/exports_posters.html", orgs=org_choices(user), depth=depth)


@bp.post("/exports/posters/poster.pdf")
@login_required
def poster() -> Any:
    """Download one org's binding poster (A4 PDF) with its permanent QR code."""
    user = signed_in_user(EXPORT)
    org = _scope(user) or _refuse_everything()
    try:
        payload, wechat = poster_payload(org)
    except ServiceError as exc:
        return render_template("admin/exports_posters.html", orgs=org_choices(user),
                               depth=depth, error=exc.message, selected=org.id), exc.code
    account = current_app.config["WECHAT_OA_NAME"]
    response, _ = send_built(
        lambda out: poster_pdf(org.name, payload, out, account=account, font=_font()),
        filename=f"党员身份绑定海报-{org.name}.pdf", mimetype=PDF)
    run_unit(partial(requester().audit, "export.binding_poster", target_type="org",
                     target_id=org.id, wechat=wechat))
    return response
