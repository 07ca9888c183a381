"""Cell-text clean-up for every importer and validator: width, spaces, invisible characters."""

from __future__ import annotations

import re

# Full-width ASCII (U+FF01–U+FF5E) sits exactly 0xFEE0 above its half-width twin; Chinese input
# methods produce it for digits, letters and brackets, so "１３８" and "（" arrive in real sheets.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_HALF_WIDTH[0x3000] = 0x20  # ideographic space

# Characters that render as nothing but break equality; copied-in web text is full of them.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))

_TRANSLATION = {**_HALF_WIDTH, **_INVISIBLE}
_ANY_SPACE = re.compile(r"\s+")


def to_half_width(s: str) -> str:
    """Turn full-width ASCII and the ideographic space into their half-width forms."""
    return s.translate(_TRANSLATION)


def normalize_text(s: str) -> str:
    """Return s half-width, stripped, with every inner run of whitespace collapsed to one space."""
    return _ANY_SPACE.sub(" ", to_half_width(s)).strip()


def strip_all_spaces(s: str) -> str:
    """Return s half-width with all whitespace (and invisible characters) removed."""
    return _ANY_SPACE.sub("", to_half_width(s))
