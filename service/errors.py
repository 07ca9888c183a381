"""Domain exceptions and the one JSON / HTML error shape they are rendered in."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from service.extensions import db


class ServiceError(Exception):
    """A refusal the user can act on; ``message`` is Chinese and shown as is."""

    code = 400

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


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith("/api/") or best == "application/json"


def register_error_handlers(app: Flask) -> None:
    """Render ServiceError and HTTP errors as JSON for API callers and as a page otherwise."""

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError) -> Any:
        db.session.rollback()
        body = {"code": exc.code, "message": exc.message, **exc.payload}
        if _wants_json():
            return jsonify(body), exc.code
        return render_template("error.html", code=exc.code, message=exc.message), exc.code

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        code = exc.code or 500
        # Keep the headers the error carries (Allow on a 405, as RFC 9110 requires).
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        if _wants_json():
            body = {"code": code, "message": exc.name, "description": exc.description}
            return jsonify(body), code, headers
        return render_template("error.html", code=code, message=exc.description), code, headers

    @app.errorhandler(500)
    def server_error(exc: Exception) -> Any:
        db.session.rollback()  # the failed request's transaction must not leak into the next
        if _wants_json():
            return jsonify({"code": 500, "message": "服务器内部错误，请稍后再试"}), 500
        return render_template("error.html", code=500, message="服务器内部错误，请稍后再试"), 500
