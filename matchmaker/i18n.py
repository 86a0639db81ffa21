"""Interface language and time zone of each request."""

from __future__ import annotations

from flask import Flask, has_request_context, request, session
from flask_babel import Babel
from flask_login import current_user

from matchmaker.vocabulary import INTERFACE_LOCALES

DEFAULT_TIMEZONE = "Europe/Oslo"
# Browsers send "no" or "nn" for Norwegian; bokmål is the interface we have for both.
LOCALE_ALIASES = {"no": "nb", "nn": "nb", "nb": "nb", "sv": "sv", "en": "en"}


def select_locale() -> str:
    if not has_request_context():
        return "en"
    if current_user.is_authenticated and current_user.locale in INTERFACE_LOCALES:
        return current_user.locale
    if session.get("locale") in INTERFACE_LOCALES:
        return session["locale"]
    return browser_locale(request.accept_languages)


def browser_locale(accept_languages) -> str:
    for value, _quality in accept_languages:
        primary = value.lower().replace("_", "-").split("-")[0]
        if primary in LOCALE_ALIASES:
            return LOCALE_ALIASES[primary]
    return "en"


def select_timezone() -> str:
    if not has_request_context():
        return DEFAULT_TIMEZONE
    if current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    return DEFAULT_TIMEZONE


def register_i18n(app: Flask) -> None:
    from matchmaker.people import register_people

    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    register_people(app)
