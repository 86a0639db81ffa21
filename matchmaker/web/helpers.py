"""Small helpers shared by the view modules."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request
from flask_wtf import FlaskForm

from matchmaker.services.errors import DomainError


def form_data(form: FlaskForm) -> dict:
    """A form's values keyed as the services expect, without the CSRF token."""
    return {name: field.data for name, field in form._fields.items() if name != "csrf_token"}


def show_errors(form: FlaskForm, error: DomainError, renames: dict[str, str] | None = None) -> list[str]:
    """Attach service field errors to form fields; returns the ones no field can show."""
    unplaced = []
    for name, message in error.field_errors.items():
        field = form._fields.get((renames or {}).get(name, name))
        if field is None:
            unplaced.append(message)
        else:
            field.errors = [*field.errors, message]
    return unplaced or ([] if error.field_errors else [error.message])


def safe_next_url(default: str) -> str:
    """The ?next= target only if it stays on this site, so sign-in cannot redirect elsewhere."""
    target = request.args.get("next") or request.form.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc and not parts.scheme:
        return target
    return default
