"""The QR code on a member form: which confirmation evidence stands in for the signature.

Payload format (one line, ``|``-separated, no spaces)::

    MC-EVIDENCE|<evidence id>|<entry hash>

e.g. ``MC-EVIDENCE|E000123|3f2a…`` with the 64-hex-digit hash of the evidence ledger entry, so
an inspector's phone shows which entry to look up and the hash to compare it with. The symbol is
drawn as vector squares from qrcode's matrix (no raster image), with error correction M and the
standard 4-module quiet zone kept free of ink.
"""

from __future__ import annotations

from dataclasses import dataclass

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas

PREFIX = "MC-EVIDENCE"
QUIET = 4  # modules of white around the symbol (ISO/IEC 18004)
SYMBOL_SIZE = 2.6 * cm  # printed width of the symbol itself, quiet zone excluded


def evidence_payload(evidence_id: str, entry_hash: str) -> str:
    """Return the string the QR code holds for this evidence entry."""
    return f"{PREFIX}|{evidence_id}|{entry_hash}"


def qr_matrix(payload: str) -> list[list[bool]]:
    """Return the QR symbol's modules (True = dark), without the quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(payload)
    code.make(fit=True)
    return code.get_matrix()


@dataclass(frozen=True)
class QrPlacement:
    """Where a QR symbol was drawn: bottom-left corner and side of the symbol, in points."""

    x: float
    y: float
    size: float
    modules: int


def reserved_size(matrix: list[list[bool]], size: float = SYMBOL_SIZE) -> float:
    """Return the side of the square the symbol and its quiet zone need."""
    n = len(matrix)
    return size * (n + 2 * QUIET) / n


def draw_qr(
    canvas: Canvas, x: float, y: float, matrix: list[list[bool]], size: float = SYMBOL_SIZE
) -> QrPlacement:
    """Draw the symbol (from qr_matrix) with its quiet zone; (x, y) is the zone's bottom-left."""
    n = len(matrix)
    module = size / n
    quiet = QUIET * module
    canvas.saveState()
    canvas.setFillGray(1)
    canvas.rect(x, y, size + 2 * quiet, size + 2 * quiet, stroke=0, fill=1)
    canvas.setFillGray(0)
    path = canvas.beginPath()
    for row, cells in enumerate(matrix):
        top = y + quiet + size - (row + 1) * module
        col = 0
        while col < n:  # one rectangle per run of dark modules keeps the PDF small
            if not cells[col]:
                col += 1
                continue
            start = col
            while col < n and cells[col]:
                col += 1
            # A hair of overlap so no white seam shows between rows when rasterized.
            left = x + quiet + start * module
            path.rect(left, top - 0.02, (col - start) * module, module + 0.04)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
    return QrPlacement(x + quiet, y + quiet, size, n)
