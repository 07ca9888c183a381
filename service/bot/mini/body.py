"""Reading the mini-program's JSON bodies: one Chinese error per bad field, nothing half-read."""

from __future__ import annotations

from typing import Any

from flask import request

from service.errors import ServiceError

MAX_ID = 2**53 - 1  # ids beyond this cannot be real rows (and JSON clients lose precision)


class Invalid(ServiceError):
    """The request body breaks the documented schema; ``errors`` maps field → reason."""

    code = 400

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()), errors=errors)


def json_body() -> dict[str, Any]:
    """Return the body as a JSON object, or refuse."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid({"body": "请求内容必须是JSON对象"})
    return data


def text(data: dict[str, Any], key: str, label: str, *, max_len: int,
         required: bool = True) -> str | None:
    """Return a string field (stripped), or refuse a missing, non-text or too long one."""
    if key not in data:
        if required:
            raise Invalid({key: f"缺少{label}"})
        return None
    value = data[key]
    if not isinstance(value, str) or not _encodable(value):
        raise Invalid({key: f"{label}必须是文字"})
    value = value.strip()
    if required and not value:
        raise Invalid({key: f"请填写{label}"})
    if len(value) > max_len:
        raise Invalid({key: f"{label}不能超过{max_len}个字"})
    return value


def identifier(data: dict[str, Any], key: str, label: str) -> int:
    """Return a positive integer id field, or refuse."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid({key: f"{label}必须是正整数"})
    if not 1 <= value <= MAX_ID:
        raise Invalid({key: f"{label}超出范围"})
    return value


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from "\ud800" in the JSON
        return False
    return True
