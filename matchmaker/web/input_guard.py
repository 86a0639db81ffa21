"""Refuses form fields and query parameters holding text no database can store (see
matchmaker.services.storable), before any view reads them, so every page refuses them alike."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from matchmaker.services.errors import ValidationFailed
from matchmaker.services.storable import multidict_problems


def refuse_unstorable_input() -> None:
    """A before-request hook of the HTML pages; the API checks its own input."""
    if request.path.startswith("/api/"):
        return
    problems = {**multidict_problems(request.args), **multidict_problems(request.form)}
    if problems:
        raise ValidationFailed(_("Some of the text sent cannot be stored."), problems)
