"""Every page asks for sign-in unless its view is marked ``@public``: a new page is closed until
someone decides otherwise. The JSON API denies by default on its own (a token, 401 as JSON)."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

from matchmaker.auth import login_manager


def public(view):
    """Marks a page anyone may open: the start page, signing in and registering, the language
    switch, password reset and an invitation's link."""
    view.is_public = True
    return view


def is_public(endpoint: str | None) -> bool:
    view = current_app.view_functions.get(endpoint or "")
    return endpoint == "static" or getattr(view, "is_public", False)


def require_sign_in():
    """Before every request: an unknown address is left to answer 404, the API to itself."""
    if request.endpoint is None or request.blueprint == "api" or is_public(request.endpoint):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None
