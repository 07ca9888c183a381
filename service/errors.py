"""Domain refusals, and the one place every error is rendered: one JSON shape, one page.

JSON callers get ``{"code": <HTTP status>, "message": <Chinese>, ...}`` (a door may add fields,
as the mini-program API adds ``success`` and ``errors``); everyone else gets ``error.html``,
which keeps the admin layout and navigation for a signed-in user under ``/admin/``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response

from service.extensions import db

# What each HTTP error tells a person, whatever raised it.
MESSAGES = {
    400: "请求有误，请检查填写的内容后重试",
    401: "请先登录",
    403: "您无权访问此页面或进行此操作",
    404: "页面不存在，请检查网址是否正确",
    405: "不支持该请求方法",
    409: "操作冲突，请刷新页面后重试",
    410: "该内容已失效",
    413: "提交的内容太大",
    415: "请求内容的格式不受支持",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误，请稍后再试",
    502: "依赖的外部服务暂时不可用，请稍后再试",
    503: "服务暂时不可用，请稍后再试",
}
CSRF_REFUSED = "页面已过期或来源不明，请刷新页面后重试"


class ServiceError(Exception):
    """A refusal the user can act on; ``message`` is Chinese and shown as is.

    ``keep``: the work done before the refusal must stand (the unit of work commits it, then
    raises); False for every refusal but the few that say so.
    """

    code = 400
    keep = False

    def __init__(self, message: str, **payload: Any) -> None:
        super().__init__(message)
        self.message = message
        self.payload = payload


class NotFound(ServiceError):
    code = 404


class Forbidden(ServiceError):
    code = 403


class Conflict(ServiceError):
    code = 409


def wants_json() -> bool:
    """Return whether the caller expects JSON rather than a page."""
    if request.path.startswith(("/api/", "/admin/api/")) or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def http_message(code: int, description: str | None = None) -> str:
    """Return the Chinese message of an HTTP error: its own description when it is Chinese."""
    if description and any("\u4e00" <= ch <= "\u9fff" for ch in description):
        return description
    return MESSAGES.get(code, f"请求未能完成（{code}）")


def json_error(code: int, message: str, **extra: Any) -> tuple[Response, int]:
    """Return the one JSON error shape with ``code`` as the HTTP status."""
    return jsonify({"code": code, "message": message, **extra}), code


def error_page(code: int, message: str) -> tuple[str, int]:
    """Return the error page, in the admin layout when a signed-in admin is under /admin/."""
    admin = request.path.startswith("/admin") and g.get("admin_user") is not None
    return render_template("error.html", code=code, message=message, admin_layout=admin), code


def error_response(code: int, message: str, **extra: Any) -> Any:
    """Answer an error as JSON or as the page, as the caller expects."""
    if wants_json():
        return json_error(code, message, **extra)
    return error_page(code, message)


def register_error_handlers(app: Flask) -> None:
    """Render refusals and HTTP errors, every one in Chinese, as JSON or the error page."""

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError) -> Any:
        db.session.rollback()
        return error_response(exc.code, exc.message, **exc.payload)

    @app.errorhandler(CSRFError)
    def csrf_refused(exc: CSRFError) -> Any:
        return error_response(400, CSRF_REFUSED)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge) -> Any:
        limit = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
        return error_response(413, f"上传的内容太大，单次提交不能超过 {limit}MB")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        code = exc.code or 500
        # Keep the headers the error carries (Allow on a 405, as RFC 9110 requires).
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        response, status = error_response(code, http_message(code, exc.description))
        return response, status, headers

    @app.errorhandler(500)
    def server_error(exc: Exception) -> Any:
        db.session.rollback()  # the failed request's transaction must not leak into the next
        return error_response(500, MESSAGES[500])
