"""Every API error is JSON: {"error": {"status", "message", "fields"}}."""

from __future__ import annotations

from flask import jsonify
from werkzeug.exceptions import HTTPException

from matchmaker.services.errors import DomainError


def error_response(status: int, message: str, fields: dict[str, str] | None = None):
    body = {"error": {"status": status, "message": message, "fields": fields or {}}}
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="matchmaker"'
    return response


def domain_error_response(error: DomainError):
    return error_response(error.status, error.message, {k: str(v) for k, v in error.field_errors.items()})


def http_error_response(error: HTTPException):
    return error_response(error.code or 500, error.description or error.name)
