"""Every printed form, exported table and deadline digest carries the ledger anchor of its time."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from service.campaign import workflow
from service.campaign.digests import send_digests
from service.evidence import anchors
from service.extensions import db
from service.models import Member, OutboxMessage
from service.models.outbox import NOTICE
from service.roster import forms
from service.unit_of_work import run_unit
from testkit.workflow import cm_of, confirm_kwargs, started
from tests.forms_helpers import pdf_text, squeeze
from tests.reminder_helpers import controlled_clock, started_at


def _confirmed() -> tuple[anchors.Anchor, Member]:
    """Start a campaign, confirm one member; return the anchor then and the member."""
    campaign, members = started()
    me = members[0]
    run_unit(lambda: workflow.confirm(cm_of(campaign.id, me.id).card_id, me.id,
                                      **confirm_kwargs()))
    anchor = anchors.current()
    assert anchor.seq > 1  # not the empty ledger's
    return anchor, me


def test_printed_forms_carry_the_anchor_on_every_page(app_ctx: Flask, tmp_path: Path) -> None:
    anchor, me = _confirmed()
    branch = me.org
    pdf = tmp_path / "branch.pdf"
    pages = forms.branch_pdf(branch, pdf)
    text = squeeze(pdf_text(pdf))
    assert pages == 2 and text.count(squeeze(f"账本锚点 {anchor.short}")) == pages
    org_pdf = tmp_path / "org.pdf"
    forms.org_pdf(branch, org_pdf)
    assert squeeze(f"账本锚点 {anchor.short}") in squeeze(pdf_text(org_pdf))
    assert anchors.parse(anchor.short).held_by(anchor.entry_hash)


def test_exported_tables_carry_the_anchor(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path,
) -> None:
    with app.app_context():
        anchor, _ = _confirmed()
    for what in ("members", "orgs"):
        out = tmp_path / f"{what}.xlsx"
        result = runner.invoke(args=[what, "export", "-o", str(out)])
        assert result.exit_code == 0, result.output
        wb = load_workbook(out)
        assert {p.name: p.value for p in wb.custom_doc_props.props} == {"账本锚点": anchor.full}
        for ws in wb.worksheets:  # 附件3 and its 附页 alike; the cells stay the official layout
            assert ws.oddFooter.right.text == f"账本锚点 {anchor.short}"


def test_deadline_digests_carry_the_anchor(app_ctx: Flask) -> None:
    with controlled_clock() as clock:
        started_at(members_per_branch=1)
        anchor = anchors.current()
        now = clock.set("2026-12-09 09:00")  # 3 working days before the deadline, digest hour
        assert run_unit(lambda: send_digests(now))["digests"] > 0
    rows = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == NOTICE)))
    assert rows and anchor.seq > 0
    for row in rows:
        assert row.payload["anchor"] == anchor.full
        assert row.payload["text"].endswith(f"（账本锚点 {anchor.short}）")
