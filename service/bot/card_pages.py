"""The member's card page (H5) under /m/ and short links under /s/ (stub: member-page work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("card_pages", __name__)
