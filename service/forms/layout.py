"""Drawing primitives the forms share: text, filled blanks, code boxes, check boxes, dates."""

from __future__ import annotations

import re
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

PAGE_W, PAGE_H = A4
MARGIN = 2 * cm
LEFT, RIGHT = MARGIN, PAGE_W - MARGIN
TOP = PAGE_H - MARGIN
BODY = 12.0  # label size; the filled values are printed in the same size where they fit
SMALL = 9.0
BOX_W, BOX_H = 14.0, 16.0  # one code character per box, as on the paper form
CHECK = 10.0
VALUE_GRAY = 0.45  # the names printed beside codes, for readability only
HINT_MIN = 7.0
# Chinese line-breaking: these never start a line.
_NO_LINE_START = set("，。、；：？！）》」』”’,.;:?!)")
_TOKENS = re.compile(r"[0-9A-Za-z][0-9A-Za-z.:\-]*|.", re.S)


class Pen:
    """A canvas with the form's font, and the few shapes the forms are made of."""

    def __init__(self, canvas: Canvas, font: str) -> None:
        self.c = canvas
        self.font = font

    def width(self, s: str, size: float = BODY) -> float:
        """Return the printed width of s."""
        return stringWidth(s, self.font, size)

    def text(
        self, x: float, y: float, s: str, size: float = BODY, *, bold: bool = False,
        gray: float = 0.0,
    ) -> float:
        """Print s with its baseline at y; return the x where it ends."""
        self.c.saveState()  # fill, stroke and render mode stay local to this text
        t = self.c.beginText(x, y)
        t.setFont(self.font, size)
        t.setFillGray(gray)
        if bold:  # the font has no bold face: stroke the outlines as well as filling them
            t.setTextRenderMode(2)
            self.c.setLineWidth(size / 30)
            self.c.setStrokeGray(gray)
        t.textOut(s)
        self.c.drawText(t)
        self.c.restoreState()
        return x + self.width(s, size)

    def centered(self, y: float, s: str, size: float, *, bold: bool = False) -> None:
        """Print s centred between the margins."""
        self.text((PAGE_W - self.width(s, size)) / 2, y, s, size, bold=bold)

    def blank(
        self, x: float, y: float, width: float, value: str | None, size: float = BODY
    ) -> float:
        """Draw an underlined blank and write value on it (shrunk or in two lines if long)."""
        self.c.setLineWidth(0.6)
        self.c.line(x, y - 3, x + width, y - 3)
        self.c.setLineWidth(1)
        if value:
            self.fit(x + 2, y, width - 4, value, size)
        return x + width

    def fit(self, x: float, y: float, width: float, value: str, size: float = BODY) -> None:
        """Write value centred in width on baseline y, never cutting any of it off."""
        fitted = size
        while fitted > 8 and self.width(value, fitted) > width:
            fitted -= 0.5
        if self.width(value, fitted) <= width:
            self.text(x + (width - self.width(value, fitted)) / 2, y, value, fitted)
            return
        # Too long for one line even small: two lines above the rule, at whatever size fits.
        size2 = 8.0
        lines = self.wrap(value, width, size2)
        while len(lines) > 2 and size2 > 5:
            size2 -= 0.5
            lines = self.wrap(value, width, size2)
        for i, line in enumerate(lines):
            self.text(x, y + (len(lines) - 1 - i) * (size2 + 1), line, size2)

    def wrap(self, s: str, width: float, size: float) -> list[str]:
        """Break s into lines no wider than width: between any two Chinese characters, but not
        inside a number or a Latin word ("E000123", "2017-06-30") unless it alone is too wide."""
        lines: list[str] = []
        line = ""
        for token in _TOKENS.findall(s):
            if line and self.width(line + token, size) > width and token[0] not in _NO_LINE_START:
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line += token
            while len(line) > 1 and self.width(line, size) > width:  # one over-long word
                fits = (i for i in range(len(line) - 1, 1, -1)
                        if self.width(line[:i], size) <= width)
                cut = next(fits, 1)
                lines.append(line[:cut])
                line = line[cut:]
        if line:
            lines.append(line)
        return lines

    def paragraph(
        self, x: float, y: float, s: str, width: float, size: float, leading: float
    ) -> float:
        """Print s wrapped to width from baseline y; return the baseline after the last line."""
        for line in self.wrap(s, width, size):
            self.text(x, y, line, size)
            y -= leading
        return y

    def boxes(self, x: float, y: float, count: int, value: str | None) -> float:
        """Draw count adjacent code boxes on baseline y, one character of value in each."""
        chars = list(value or "")
        count = max(count, len(chars))  # never drop a character of an over-long value
        bottom = y - 3.5
        self.c.setLineWidth(0.7)
        for i in range(count):
            self.c.rect(x + i * BOX_W, bottom, BOX_W, BOX_H)
        self.c.setLineWidth(1)
        for i, ch in enumerate(chars):
            cx = x + i * BOX_W + (BOX_W - self.width(ch)) / 2
            self.text(cx, y, ch)
        return x + count * BOX_W

    def checkbox(self, x: float, y: float, checked: bool) -> float:
        """Draw a check box on baseline y, ticked if checked; return the x after it."""
        self.c.setLineWidth(0.7)
        self.c.rect(x + 1, y - 1, CHECK, CHECK)
        self.c.setLineWidth(1)
        if checked:
            self.text(x + 1.2, y + 0.2, "✓", CHECK + 1, bold=True)
        return x + CHECK + 2

    def choice(self, x: float, y: float, label: str, checked: bool, gap: float = 18) -> float:
        """Print "label□" with the box ticked if checked; return the x after it plus gap."""
        x = self.text(x, y, label)
        return self.checkbox(x + 1, y, checked) + gap

    def name_hint(self, x: float, y: float, name: str | None) -> float:
        """Print a code's name in small grey after its boxes, shrunk or cut short to fit.

        The code in the boxes is the official value; the name is a reading aid only, so a name
        too long for the line may end in "…" rather than push the page's layout around.
        """
        if not name:
            return x
        room = RIGHT - x - 5
        size = SMALL
        while size > HINT_MIN and self.width(name, size) > room:
            size -= 0.5
        while len(name) > 1 and self.width(name, size) > room:
            name = name[:-2] + "…"
        return self.text(x + 5, y, name, size, gray=VALUE_GRAY)

    def hint_fits(self, x: float, name: str | None) -> bool:
        """Tell whether name fits after x at a readable size, uncut."""
        return not name or x + 5 + self.width(name, HINT_MIN) <= RIGHT

    def date_blanks(
        self, x: float, y: float, when: date | None, *, day: bool = True,
        widths: tuple[float, float, float] = (62, 30, 30),
    ) -> float:
        """Draw the "____年___月___日" blanks filled from when (no 日 if day is False)."""
        parts = [(widths[0], f"{when.year}" if when else None, "年"),
                 (widths[1], f"{when.month}" if when else None, "月")]
        if day:
            parts.append((widths[2], f"{when.day}" if when else None, "日"))
        for width, value, unit in parts:
            x = self.blank(x, y, width, value)
            x = self.text(x + 1, y, unit) + 1
        return x

    def rule(self, y: float) -> None:
        """Draw the full-width line that separates the items from the signatures."""
        self.c.setLineWidth(0.8)
        self.c.line(LEFT, y, RIGHT, y)
        self.c.setLineWidth(1)
