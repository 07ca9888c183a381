"""The binding poster a branch puts up: its name, a big QR code, large-print steps (A4 PDF).

Written for elderly members reading it on a wall: few words, 20-point text and up, and the
three steps in the order they happen (扫码关注 → 核对姓名和身份证后六位 → 输入短信验证码).
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import BinaryIO

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas

from service.forms.fonts import register_font
from service.forms.layout import Pen
from service.forms.qr import QrPlacement, draw_qr, qr_matrix, reserved_size

PAGE_W, PAGE_H = A4
MARGIN = 1.8 * cm
QR_SIDE = 8.5 * cm  # a phone camera reads it from a couple of metres
STEPS = (
    ("第一步　扫码关注",
     "打开微信，点右上角“＋”，选“扫一扫”，对准上面的二维码，然后关注公众号“{account}”。"),
    ("第二步　核对姓名和身份证后六位",
     "点开公众号发来的“绑定党员身份”链接，填写您的姓名和身份证号码最后六位。"),
    ("第三步　输入短信验证码",
     "您登记的手机会收到6位数字验证码，填进去，点“确认绑定”就完成了。"),
)
FOOTER = "没有登记手机号码或手机号已更换的，请联系党支部。"


def poster_pdf(
    org_name: str, payload: str, out: str | Path | BinaryIO, *, account: str,
    font: str | None = None,
) -> QrPlacement:
    """Write the one-page poster for ``org_name`` whose QR holds ``payload``; return where the
    symbol was drawn (for checking the print)."""
    target = str(out) if isinstance(out, Path) else out
    c = Canvas(target, pagesize=A4, pageCompression=1, invariant=1)
    c.setTitle(f"{org_name} 党员身份绑定")
    c.setAuthor("党员信息确认")
    pen = Pen(c, register_font(font))
    width = PAGE_W - 2 * MARGIN
    y = PAGE_H - MARGIN - 30
    pen.centered(y, "党员身份绑定", 34, bold=True)
    y -= 40
    for line in pen.wrap(org_name, width, 22):
        pen.centered(y, line, 22)
        y -= 30
    pen.centered(y - 4, "绑定后，党员信息确认卡将通过微信发给您", 18)
    matrix = qr_matrix(payload)
    side = QR_SIDE * len(matrix) / (len(matrix) + 8)  # the quiet zone within QR_SIDE
    zone = reserved_size(matrix, side)
    y -= 24 + zone
    placement = draw_qr(c, (PAGE_W - zone) / 2, y, matrix, side)
    y -= 36
    for title, text in STEPS:
        pen.text(MARGIN, y, title, 24, bold=True)
        y -= 30
        y = pen.paragraph(MARGIN + 24, y, text.format(account=account), width - 24, 20, 27)
        y -= 12
    pen.text(MARGIN, max(y, MARGIN), FOOTER, 16, gray=0.3)
    c.showPage()
    c.save()
    return placement


def qr_png(payload: str, out: str | Path | BinaryIO, *, box_size: int = 12) -> None:
    """Write ``payload`` as a PNG QR code (with the standard quiet zone)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=4)
    code.add_data(payload)
    code.make(fit=True)
    buffer = BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    if isinstance(out, (str, Path)):
        Path(out).write_bytes(buffer.getvalue())
    else:
        out.write(buffer.getvalue())
