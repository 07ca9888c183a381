"""The printed forms: real PDFs, read back as text and as rendered images."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select

from service.campaign import workflow
from service.clock import today_local
from service.evidence import annotation
from service.extensions import db
from service.forms.fonts import FontMissing, find_font, register_font
from service.forms.layout import Pen
from service.forms.member_form import SignatureNote, draw_member_page
from service.forms.qr import QUIET, evidence_payload, qr_matrix
from service.forms.render import member_form_pdf, org_form_pdf
from service.models import AuditLog
from service.roster import forms
from service.unit_of_work import run_unit
from testkit.factories import make_member, make_org, member_record, synthetic_id
from testkit.workflow import cm_of, confirm_kwargs, phone_contact, started
from tests.forms_helpers import pdf_info, pdf_text, render_gray, save_png, squeeze

HASH = "3f2a9c1d" * 8
NOTE = SignatureNote("2017-06-30 10:12 通过微信确认，凭证 E000123", "E000123", HASH)
PROXY = SignatureNote("因外出，由信息采集员张三于2017年6月30日通过电话确认")
# 附件2 as a county's 2017 forwarding notice prints it, item by item, in order.
MEMBER_LABELS = [
    "附件2", "党员基本信息采集表", "1.姓名：", "2.性别：男", "女", "3.民族：", "4.公民身份证号：",
    "5.出生日期：", "6.学历（参照《学历代码》填写相应代码）：", "7.人员类别（勾选一项）：",
    "正式党员", "预备党员", "8.所在党支部（填写全称）：", "9.加入党组织日期：",
    "10.转为正式党员日期：", "11.工作岗位（参照《工作岗位代码》填写相应代码）：",
    "12.联系电话（手机号）：", "（固定电话）：（区号）", "+（电话）",
    "13.家庭住址（具体到门牌号）：",
    "14.党籍状态：", "正常", "停止党籍", "15.是否为失联党员：", "是", "失去联系日期", "否",
    "16.是否为流动党员（由流出地党组织负责采集）：", "外出流向：", "省（区、市）",
    "市（地、州、盟）", "县（市、区、旗）", "党员（签字）：", "信息采集员（签字）：",
    "党支部书记（签字）：", "基层党委（盖章）：",
    "注：软件系统中信息齐全的，此表可直接从软件系统中导出打印，再交由党员本人确认",
]
ORG_LABELS = [
    "附件1", "党组织和所在单位基本信息采集表", "党组织信息", "1.党组织名称（填写全称）：",
    "2.党组织书记：", "3.党组织联系人：", "4.联系电话：",
    "5.组织类别（参照《组织类别代码》填写相应代码）：", "6.党组织所在单位情况（勾选一项）：",
    "与上级党组织相同", "法人单位", "联合支部", "（备注：“与上级党组织相同”指", "所在单位信息",
    "7.单位名称（填写全称）：", "8.单位类别（参照《单位性质类别代码》填写相应代码）：",
    "9.单位建立党组织情况（参照《单位建立中共组织情况代码》填写相应代码）：",
    "10.党组织所在单位代码（一般为该单位组织机构代码或统一社会信用代码）：",
    "信息采集员（签字）：", "党组织书记（签字）：", "基层党委（盖章）：",
    "注：软件系统中信息齐全的，此表可直接从软件系统中导出打印，再交由党支部（党总支、党委）",
]


def _member(**overrides: Any) -> dict[str, Any]:
    return member_record(**{
        "name": "张晓明", "branch": "中共北京市朝阳区测试街道第二社区第一支部委员会",
        "birth_date": date(1980, 3, 15), "landline": "010-12345678", "job": "011",
        "is_floating": True, "flow_to": "330106", **overrides,
    })


def _in_order(text: str, labels: list[str]) -> None:
    flat, pos = squeeze(text), 0
    for label in labels:
        found = flat.find(squeeze(label), pos)
        assert found >= 0, f"{label!r} missing or out of order"
        pos = found + len(squeeze(label))


def _line(text: str, label: str) -> str:
    return next(ln for ln in text.splitlines() if label in ln)


def test_member_form_prints_the_seed_items_and_the_filled_values(tmp_path: Path) -> None:
    record = _member()
    pdf = tmp_path / "member.pdf"
    assert member_form_pdf([(record, NOTE)], pdf) == 1
    save_png(pdf, "member")
    text = pdf_text(pdf)
    _in_order(text, MEMBER_LABELS)
    assert "张晓明" in text and "汉族" in text
    assert squeeze(_line(text, "4.公民身份证号")).endswith(record["id_number"])
    assert re.search(r"5\.出生日期：\s*1980\s*年\s*3\s*月\s*15\s*日", text)
    assert re.search(r"9\.加入党组织日期：\s*2005\s*年\s*7\s*月\s*1\s*日", text)
    assert squeeze(_line(text, "6.学历")).endswith("21大学")
    assert "011" in squeeze(_line(text, "11.工作岗位"))
    assert squeeze(_line(text, "12.联系电话")).endswith(record["mobile"])
    landline = squeeze(_line(text, "（区号）"))
    assert "010" in landline and "12345678" in landline
    assert "中共北京市朝阳区测试街道第二社区第一支部委员会" in text
    assert re.search(r"浙江省\s+省（区、市）\s+杭州市\s+市", text) and "西湖区" in text
    assert squeeze(NOTE.text) in squeeze(text)
    # The ticks: 男, 正式党员, 正常, 否 (not lost), 是 (floating) — and no others.
    assert re.search(r"男\s*✓\s*女\s", text)
    assert re.search(r"正式党员\s*✓\s*预备党员\s*$", _line(text, "7.人员类别"))
    assert re.search(r"正常\s*✓\s*停止党籍\s*$", _line(text, "14.党籍状态"))
    assert "✓" not in _line(text, "15.是否为失联党员") and re.search(r"否\s*✓", text)
    assert re.search(r"是\s*✓\s*否\s*$", _line(text, "16.是否为流动党员"))
    assert text.count("✓") == 5


def test_member_form_prints_lost_probationary_and_proxy_note(tmp_path: Path) -> None:
    address = "内蒙古自治区呼和浩特市赛罕区大学西街某某小区某某号楼某单元某某室（近某某路口东侧）"
    record = _member(member_type="预备党员", full_on=None, is_lost=True, lost_since="2016-04",
                     party_status="停止党籍", address=address, is_floating=False)
    pdf = tmp_path / "lost.pdf"
    member_form_pdf([(record, PROXY)], pdf)
    save_png(pdf, "member-lost-proxy")
    text = pdf_text(pdf)
    assert re.search(r"预备党员\s*✓", text) and re.search(r"停止党籍\s*✓", text)
    assert re.search(r"是\s*✓\s*失去联系日期\s*2016\s*年\s*4\s*月", text)
    assert re.search(r"10\.转为正式党员日期：\s*年\s*月\s*日", text)  # left blank
    assert address in squeeze(pdf_text(pdf, raw=True))  # wrapped, never cut off
    assert squeeze(PROXY.text) in squeeze(text) and "凭证" not in text  # no QR without evidence


def test_member_page_is_a4_with_ink_only_inside_the_margins(tmp_path: Path) -> None:
    filled, empty = tmp_path / "filled.pdf", tmp_path / "empty.pdf"
    long_job = _member(job="610", address="某" * 60)  # the longest code name, a long address
    member_form_pdf([(long_job, NOTE)], filled)
    member_form_pdf([({"name": None}, None)], empty)
    assert pdf_info(filled)["Page size"].startswith("595.276 x 841.89")
    page = render_gray(filled)
    assert (page.width, page.height) == (497, 702)  # A4 portrait at 60 dpi
    assert 0.02 < page.dark_fraction() < 0.15, "page blank or smeared"
    margin, ink = 40, 250  # 1.7 cm at 60 dpi (the form keeps 2 cm); any trace of grey counts
    assert page.dark_in(0, 0, margin, page.height, ink) == 0
    assert page.dark_in(page.width - margin, 0, page.width, page.height, ink) == 0
    assert page.dark_in(0, 0, page.width, margin, ink) == 0
    assert page.dark_in(0, page.height - margin, page.width, page.height, ink) == 0
    assert page.dark_fraction() > render_gray(empty).dark_fraction() + 0.005  # values are inked


def test_qr_code_printed_is_the_evidence_payload(tmp_path: Path) -> None:
    pdf = tmp_path / "qr.pdf"
    canvas = Canvas(str(pdf), pagesize=A4)
    placed = draw_member_page(Pen(canvas, register_font()), _member(), NOTE)
    canvas.showPage()
    canvas.save()
    expected = qr_matrix(evidence_payload("E000123", HASH))
    assert placed is not None and placed.modules == len(expected)
    assert placed.size >= 2.5 / 2.54 * 72  # at least 2.5 cm across
    dpi = 300
    page = render_gray(pdf, dpi=dpi)
    module = placed.size / placed.modules

    def dark(row: int, col: int) -> bool:
        x = (placed.x + (col + 0.5) * module) * dpi / 72
        y = (A4[1] - placed.y - placed.size + (row + 0.5) * module) * dpi / 72
        return page.at(round(x), round(y)) < 128

    n = placed.modules
    assert [[dark(r, c) for c in range(n)] for r in range(n)] == expected
    ring = range(-QUIET, n + QUIET)
    assert not any(dark(r, c) for r in ring for c in ring if not (0 <= r < n and 0 <= c < n))
    assert evidence_payload("E000123", HASH) == f"MC-EVIDENCE|E000123|{HASH}"


def test_org_form_of_a_joint_branch_has_the_annex(tmp_path: Path) -> None:
    org = {"name": "中共测试街道第二社区非公企业联合支部委员会", "secretary": "王建国",
           "contact": "李四", "contact_phone": "13912345678", "org_type": "632",
           "unit_situation": "联合支部"}
    units = [{"name": f"北京测试{i}号商贸有限公司", "unit_type": "23", "party_org_status": "2",
              "unit_code": f"91110106700109{i:03d}W"} for i in range(1, 4)]
    pdf = tmp_path / "org.pdf"
    assert org_form_pdf(org, units, pdf, printed_on=date(2017, 6, 30)) == 2
    save_png(pdf, "org-joint")
    main, annex = pdf_text(pdf).split("\f")[:2]
    _in_order(main, ORG_LABELS)
    assert re.search(r"联合支部\s*✓", main) and main.count("✓") == 1
    assert squeeze(_line(main, "5.组织类别")).endswith("632联合党支部")
    assert "北京测试1号商贸有限公司" in main and "北京测试2号" not in main
    assert "91110106700109001W" in squeeze(main)
    assert "党组织和所在单位基本信息采集表附页" in annex
    _in_order(annex, ["序号", "单位名称", "单位类别", "党组织所在单位代码",
                      "1", "北京测试2号商贸有限公司", "91110106700109002W",
                      "2", "北京测试3号商贸有限公司", "91110106700109003W"])
    assert re.search(r"汇总日期：\s*2017\s*年\s*6\s*月\s*30\s*日", annex)


def test_org_form_same_as_parent_leaves_the_unit_items_empty(tmp_path: Path) -> None:
    org = {"name": "中共测试第一支部委员会", "org_type": "631",
           "unit_situation": "与上级党组织相同"}
    pdf = tmp_path / "org.pdf"
    assert org_form_pdf(org, [{"name": "不应打印的单位"}], pdf) == 1
    text = pdf_text(pdf)
    assert re.search(r"与上级党组织相同\s*✓", text) and "不应打印的单位" not in text
    assert 0.01 < render_gray(pdf).dark_fraction() < 0.15


def test_missing_font_is_refused_in_chinese(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FLASK_PDF_FONT", str(tmp_path / "none.ttf"))
    with pytest.raises(FontMissing, match="中文字体文件"):
        find_font()
    not_a_font = tmp_path / "bad.ttf"
    not_a_font.write_bytes(b"not a font")
    with pytest.raises(FontMissing, match="无法嵌入 PDF"):
        register_font(str(not_a_font))
    monkeypatch.delenv("FLASK_PDF_FONT")
    monkeypatch.setattr("service.forms.fonts.KNOWN_FONTS", (str(tmp_path / "gone.ttc"),))
    with pytest.raises(FontMissing, match="fonts-wqy-microhei"):
        find_font()


# ---- from the database -------------------------------------------------------------------

def test_branch_pdf_has_one_page_per_active_member_by_name(app_ctx: Any, tmp_path: Path) -> None:
    org = make_org(name="中共测试第九支部委员会")
    for name in ("王五", "张三", "李四"):
        make_member(org, name=name)
    make_member(org, name="赵六").record_status = "transferred"
    make_member(make_org(), name="别支部的人")
    pdf = tmp_path / "branch.pdf"
    assert forms.branch_pdf(org, pdf) == 3
    assert pdf_info(pdf)["Pages"] == "3"
    pages = pdf_text(pdf).split("\f")
    found = [re.search(r"1\.姓名：\s*(\S+)", p) for p in pages if "姓名" in p]
    names = [m.group(1) for m in found if m]
    assert names == sorted(["王五", "张三", "李四"])
    assert all("中共测试第九支部委员会" in p for p in pages if "姓名" in p)


def test_cli_member_form_is_audited_and_never_echoes_the_id(
    app: Any, runner: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        member = make_member(make_org(), name="钱七")
        id18, member_id = member.id_number, member.id
        db.session.commit()
    note = {"text": NOTE.text, "evidence_id": "E000123", "entry_hash": HASH}
    monkeypatch.setattr(annotation, "signature_note",
                        lambda mid: note if mid == member_id else None)
    out = tmp_path / "m.pdf"
    result = runner.invoke(args=["forms", "member", "--id-number", id18.lower(), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert id18 not in result.output and "钱七" in pdf_text(out)
    assert squeeze(NOTE.text) in squeeze(pdf_text(out))
    assert not out.with_name("m.pdf.part").exists()
    with app.app_context():
        entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "export.form")).one()
        assert entry.target_type == "member" and entry.target_id == str(member_id)
        assert entry.detail["form"] == "附件2"
    stranger = synthetic_id(date(1949, 12, 31), 77, male=False)
    missing = runner.invoke(args=["forms", "member", "--id-number", stranger, "-o", str(out)])
    assert missing.exit_code != 0 and f"{stranger[:4]}**********{stranger[-4:]}" in missing.output
    assert stranger not in missing.output


def test_cli_branch_and_org_forms(app: Any, runner: Any, tmp_path: Path) -> None:
    with app.app_context():
        parent = make_org(name="中共测试委员会")
        branch = make_org(parent, name="中共测试联合支部委员会", org_type="632",
                          unit_situation="联合支部",
                          units=[{"name": "甲公司", "unit_type": "23", "unit_code": "0"},
                                 {"name": "乙公司", "unit_type": "23", "unit_code": "0"}])
        make_member(branch, name="孙八")
        make_member(branch, name="周九")
        db.session.commit()
    out = tmp_path / "b.pdf"
    result = runner.invoke(
        args=["forms", "branch", "--org", "中共测试联合支部委员会", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert pdf_info(out)["Pages"] == "2"
    result = runner.invoke(args=["forms", "org", "--org", "中共测试联合支部委员会", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "甲公司" in pdf_text(out) and "附页" in pdf_text(out).split("\f")[1]
    empty = runner.invoke(args=["forms", "branch", "--org", "中共测试委员会", "-o", str(out)])
    assert empty.exit_code != 0 and "没有在册党员" in empty.output
    unknown = runner.invoke(args=["forms", "org", "--org", "不存在的组织", "-o", str(out)])
    assert unknown.exit_code != 0 and "不存在" in unknown.output
    with app.app_context():
        audited = select(AuditLog.target_type).where(AuditLog.action == "export.form")
        assert sorted(db.session.scalars(audited)) == ["org", "org"]


def test_cli_refuses_without_a_usable_font_and_leaves_no_file(
    make_app: Any, tmp_path: Path
) -> None:
    app = make_app(PDF_FONT=str(tmp_path / "missing.ttf"))
    with app.app_context():
        make_org(name="中共测试字体支部委员会")
        db.session.commit()
    out = tmp_path / "o.pdf"
    result = app.test_cli_runner().invoke(
        args=["forms", "org", "--org", "中共测试字体支部委员会", "-o", str(out)])
    assert result.exit_code != 0 and "FLASK_PDF_FONT" in result.output
    assert not out.exists() and not out.with_name("o.pdf.part").exists()
    with app.app_context():
        assert db.session.scalars(select(AuditLog)).all() == []


def test_branch_forms_carry_the_campaign_confirmations(app_ctx: Any, tmp_path: Path) -> None:
    campaign, members = started()
    me, away = members[0], members[1]  # both in the first branch
    card_id = cm_of(campaign.id, me.id).card_id
    confirmed = run_unit(lambda: workflow.confirm(card_id, me.id, **confirm_kwargs())).entry
    reason = "外出务工长期在外地且年老体弱行动不便无法到场签字"  # a long reason still fits the box
    run_unit(lambda: workflow.proxy_confirm(
        campaign.id, away.id, actor="admin:1", collector_name="张三", method="phone",
        confirmed_on=today_local(), reason=reason, contact=phone_contact()))
    note = forms.signature_note(me.id)
    assert note is not None and note.entry_hash == confirmed.entry_hash
    assert "通过微信确认" in note.text and note.evidence_id and note.evidence_id in note.text
    pdf = tmp_path / "branch.pdf"
    assert forms.branch_pdf(me.org, pdf) == 2
    save_png(pdf, "branch-confirmed")
    text = squeeze(pdf_text(pdf))
    assert squeeze(note.text) in text
    assert f"因{reason}，由信息采集员张三于" in text and "通过电话确认" in text
    for page in (1, 2):
        image = render_gray(pdf, page)
        assert image.dark_in(0, image.height - 40, image.width, image.height, 250) == 0


def test_wrap_never_drops_text_nor_splits_a_short_number() -> None:
    pen = Pen(Canvas("unused.pdf"), register_font())
    text = "因外出务工，由信息采集员张三于2026年11月23日通过电话确认，凭证 E000007"
    lines = pen.wrap(text, 130, 10)
    assert squeeze("".join(lines)) == squeeze(text) and len(lines) > 1
    assert all(pen.width(line, 10) <= 130 for line in lines)
    assert any(line.endswith("E000007") for line in lines)
    assert not any(line.startswith("，") for line in lines)
    assert squeeze("".join(pen.wrap("91110106700109904W", 20, 10))) == "91110106700109904W"
