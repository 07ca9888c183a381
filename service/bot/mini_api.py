"""The mini-program JSON API under /api/mini/ and /api/openapi.json (stub: binding work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("mini_api", __name__)
