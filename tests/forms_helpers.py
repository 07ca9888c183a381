"""Reading the printed PDFs back in tests: text, page count, and grey-scale renderings."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "forms"


def pdf_text(path: Path, *, raw: bool = False) -> str:
    """Return the PDF's text (pdftotext -layout, or -raw in drawing order); pages split by \\f."""
    mode = "-raw" if raw else "-layout"
    return subprocess.run(["pdftotext", mode, str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def squeeze(s: str) -> str:
    """Return s without any whitespace, so wrapped or spaced-out text can be compared."""
    return re.sub(r"\s+", "", s)


def pdf_info(path: Path) -> dict[str, str]:
    """Return pdfinfo's fields (Pages, Page size, …)."""
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    pairs = (ln.split(":", 1) for ln in out.splitlines() if ":" in ln)
    return {k.strip(): v.strip() for k, v in pairs}


@dataclass(frozen=True)
class Gray:
    """One rendered page: width, height and one byte per pixel (0 black … 255 white)."""

    width: int
    height: int
    pixels: bytes

    def at(self, x: int, y: int) -> int:
        return self.pixels[y * self.width + x]

    def dark_fraction(self, threshold: int = 128) -> float:
        return sum(1 for p in self.pixels if p < threshold) / len(self.pixels)

    def dark_in(self, x0: int, y0: int, x1: int, y1: int, threshold: int = 128) -> int:
        """Count dark pixels in the rectangle [x0, x1) × [y0, y1)."""
        return sum(1 for y in range(y0, y1) for x in range(x0, x1) if self.at(x, y) < threshold)


def render_gray(path: Path, page: int = 1, dpi: int = 60) -> Gray:
    """Render one page with pdftoppm as a PGM and parse it (no imaging library needed)."""
    data = subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-f", str(page), "-l", str(page),
                           str(path)], check=True, capture_output=True).stdout
    m = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert m is not None and m.group(3) == b"255", "pdftoppm did not return an 8-bit PGM"
    width, height = int(m.group(1)), int(m.group(2))
    pixels = data[m.end():m.end() + width * height]
    assert len(pixels) == width * height
    return Gray(width, height, pixels)


def save_png(path: Path, name: str, dpi: int = 100) -> None:
    """Keep PNG renderings under test-artifacts/forms/ for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(path), str(ARTIFACTS / name)],
                   check=True)
