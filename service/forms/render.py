"""Public entry points: write the filled forms as a PDF to a file path or a binary stream."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from service.errors import ServiceError
from service.forms.fonts import register_font
from service.forms.layout import MARGIN, RIGHT, Pen
from service.forms.member_form import SignatureNote, draw_member_page
from service.forms.org_form import draw_org_pages

Out = str | Path | BinaryIO
FOOTER_SIZE = 6.5
FOOTER_Y = MARGIN - 4  # just below the 2 cm margin, clear of the form's own footnote


class _Canvas(Canvas):
    """A canvas that prints one small grey line at the foot of every page it ends."""

    footer: tuple[str, str] | None = None  # (font, text)

    def showPage(self) -> None:  # ReportLab's name for ending a page
        if self.footer is not None:
            font, text = self.footer
            self.saveState()
            self.setFont(font, FOOTER_SIZE)
            self.setFillGray(0.35)
            self.drawRightString(RIGHT, FOOTER_Y, text)
            self.restoreState()
        super().showPage()


def _pen(out: Out, title: str, font: str | None, footer: str | None) -> Pen:
    target = str(out) if isinstance(out, Path) else out
    # Page compression keeps a 1,000-page branch file small; invariant=1 makes the bytes
    # depend on the content only (no timestamp/random id), so reprints are identical.
    c = _Canvas(target, pagesize=A4, pageCompression=1, invariant=1)
    c.setTitle(title)
    c.setAuthor("党员信息确认")
    pen = Pen(c, register_font(font))
    if footer:
        c.footer = (pen.font, footer)
    return pen


def member_form_pdf(
    records_with_notes: Iterable[tuple[dict[str, Any], SignatureNote | None]], out: Out,
    *, font: str | None = None, footer: str | None = None,
) -> int:
    """Write one 附件2 page per (record, note) to out; return the number of pages.

    ``footer`` is printed small at the foot of every page (the ledger anchor).
    """
    pen = _pen(out, "党员基本信息采集表", font, footer)
    pages = 0
    for record, note in records_with_notes:
        draw_member_page(pen, record, note)
        pen.c.showPage()
        pages += 1
    if pages == 0:
        raise ServiceError("没有可打印的党员信息")
    pen.c.save()
    return pages


def org_form_pdf(
    org: dict[str, Any], units: list[dict[str, Any]], out: Out,
    *, printed_on: date | None = None, font: str | None = None, footer: str | None = None,
) -> int:
    """Write the 附件1 page for org (and a joint branch's 附页 of other units); return pages."""
    pen = _pen(out, "党组织和所在单位基本信息采集表", font, footer)
    pages = draw_org_pages(pen, org, units, printed_on)
    pen.c.save()
    return pages
