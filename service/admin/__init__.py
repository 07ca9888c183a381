"""Admin web pages and their JSON endpoints, by role (built with issue 9)."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every admin blueprint on ``app``."""
