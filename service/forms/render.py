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
from service.forms.layout import Pen
from service.forms.member_form import SignatureNote, draw_member_page
from service.forms.org_form import draw_org_pages

Out = str | Path | BinaryIO


def _canvas(out: Out, title: str) -> Canvas:
    target = str(out) if isinstance(out, Path) else out
    # Page compression keeps a 1,000-page branch file small; invariant=1 makes the bytes
    # depend on the content only (no timestamp/random id), so reprints are identical.
    c = Canvas(target, pagesize=A4, pageCompression=1, invariant=1)
    c.setTitle(title)
    c.setAuthor("党员信息确认")
    return c


def member_form_pdf(
    records_with_notes: Iterable[tuple[dict[str, Any], SignatureNote | None]], out: Out,
    *, font: str | None = None,
) -> int:
    """Write one 附件2 page per (record, note) to out; return the number of pages."""
    pen = Pen(_canvas(out, "党员基本信息采集表"), register_font(font))
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
    *, printed_on: date | None = None, font: str | None = None,
) -> int:
    """Write the 附件1 page for org (and a joint branch's 附页 of other units); return pages."""
    pen = Pen(_canvas(out, "党组织和所在单位基本信息采集表"), register_font(font))
    pages = draw_org_pages(pen, org, units, printed_on)
    pen.c.save()
    return pages
