"""SMS provider pushes under /sms/<provider>/ (stub: built by the inbound work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sms_inbound", __name__)
