"""The Chinese font the forms are printed in: finding a TrueType CJK font and registering it.

reportlab embeds TrueType outlines only, so OpenType/CFF fonts such as Noto Sans CJK are no use
here. The Debian package ``fonts-wqy-microhei`` provides one that covers GBK and beyond (rare
characters in names included); an explicit path can be given with the FLASK_PDF_FONT setting.
"""

from __future__ import annotations

import os
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from service.errors import ServiceError

FONT_NAME = "MC-CJK"
# Checked in order; all TrueType outlines (a .ttc's first face is the one wanted).
KNOWN_FONTS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/simsun.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)
_registered: str | None = None  # the path registered under FONT_NAME in this process


class FontMissing(ServiceError):
    """No usable Chinese TrueType font: the forms cannot be printed."""

    code = 500


def find_font(configured: str | None = None) -> Path:
    """Return the font file to use: the configured one, else the first known one installed."""
    configured = configured or os.environ.get("FLASK_PDF_FONT")
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontMissing(f"设置的中文字体文件 {configured} 不存在，请检查 FLASK_PDF_FONT 设置")
        return path
    for candidate in KNOWN_FONTS:
        if os.path.isfile(candidate):
            return Path(candidate)
    raise FontMissing(
        "未找到可嵌入 PDF 的中文字体（TrueType 轮廓），无法打印采集表。"
        "请安装 Debian 软件包 fonts-wqy-microhei（apt-get install fonts-wqy-microhei），"
        "或用 FLASK_PDF_FONT 指定一个 .ttf/.ttc 中文字体文件"
    )


def register_font(configured: str | None = None) -> str:
    """Register the Chinese font with reportlab (once per process) and return its name."""
    global _registered
    path = find_font(configured)
    if _registered == str(path):
        return FONT_NAME
    try:
        font = TTFont(FONT_NAME, str(path), subfontIndex=0)
    except TTFError as exc:
        raise FontMissing(
            f"字体文件 {path.name} 无法嵌入 PDF（需要 TrueType 轮廓的中文字体，"
            f"如 fonts-wqy-microhei 中的 wqy-microhei.ttc）：{exc}"
        ) from exc
    if ord("党") not in font.face.charToGlyph:
        raise FontMissing(f"字体文件 {path.name} 不含中文字形，"
                          "请改用中文字体（如 fonts-wqy-microhei）")
    pdfmetrics.registerFont(font)
    _registered = str(path)
    return FONT_NAME
