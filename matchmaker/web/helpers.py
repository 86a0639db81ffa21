"""Small helpers shared by the view modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import request
from flask_wtf import FlaskForm

from matchmaker.services.errors import DomainError, ValidationFailed

T = TypeVar("T")


class RefusedChange(Exception):
    """A page's change that a service refused: the app drops whatever the request changed, says
    "Not changed" with the reason and sends the browser back to ``back_to``."""

    def __init__(self, reason: DomainError, back_to: str):
        super().__init__(reason.message)
        self.reason, self.back_to = reason, back_to



def form_data(form: FlaskForm) -> dict:
    """A form's values keyed as the services expect, without the CSRF token."""
    return {name: field.data for name, field in form._fields.items() if name != "csrf_token"}


def optional_id(value) -> int | None:
    """An id from a select or query string, where empty or anything but digits means none."""
    # isdecimal, not isdigit: int() cannot read digits such as "²"
    return int(value) if str(value or "").isdecimal() else None


def submit_form(form: FlaskForm, save: Callable[[dict], T],
                shown: tuple[type[DomainError], ...] = (ValidationFailed,)) -> tuple[T | None, list[str]]:
    """Saves a submitted, valid form through a service. Returns what was saved, or None with the
    errors no field can show (the service's field errors are attached to the fields). Errors of
    the `shown` kinds come back on the form; others go to the error page."""
    if not form.validate_on_submit():
        return None, []
    try:
        return save(form_data(form)), []
    except shown as error:
        return None, show_errors(form, error)


def form_status(form: FlaskForm, form_errors: list[str]) -> int:
    """422 when a form comes back with errors, so clients and tests see the refusal."""
    return 422 if (form.errors or form_errors) else 200


def show_errors(form: FlaskForm, error: DomainError, renames: dict[str, str] | None = None) -> list[str]:
    """Attach service field errors to form fields; returns the ones no field can show."""
    unplaced = []
    for name, message in error.field_errors.items():
        field = form._fields.get((renames or {}).get(name, name))
        if field is None:
            unplaced.append(str(message))
        else:
            field.errors = [*field.errors, str(message)]
    return unplaced or ([] if error.field_errors else [str(error.message)])


def safe_next_url(default: str) -> str:
    """The ?next= target only if it stays on this site, so sign-in cannot redirect elsewhere."""
    target = request.args.get("next") or request.form.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc and not parts.scheme:
        return target
    return default
