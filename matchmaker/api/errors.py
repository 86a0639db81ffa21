"""Every API error is JSON: {"error": {"status", "message", "fields"}}."""

from __future__ import annotations

from flask import jsonify
from werkzeug.exceptions import HTTPException

from matchmaker.messages import Message
from matchmaker.services.errors import DomainError


def error_response(status: int, message: str | Message, fields: dict[str, str | Message] | None = None):
    # Messages of the services are worded here, in the reader's language (see matchmaker.messages).
    body = {"error": {"status": status, "message": str(message),
                      "fields": {name: str(text) for name, text in (fields or {}).items()}}}
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="matchmaker"'
    return response


def domain_error_response(error: DomainError):
    return error_response(error.status, error.message, error.field_errors)


def http_error_response(error: HTTPException):
    return error_response(error.code or 500, error.description or error.name)
