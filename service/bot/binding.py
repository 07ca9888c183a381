"""Binding a member to a WeChat openid, and WeChat OAuth (stub: binding work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("binding", __name__)
