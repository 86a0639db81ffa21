"""The HTML side: blueprints, error pages and what every template can use."""

from __future__ import annotations

from flask import Flask, flash, redirect, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from matchmaker import vocabulary
from matchmaker.database import roll_back_request
from matchmaker.matching import wording
from matchmaker.services.errors import DomainError
from matchmaker.web.helpers import RefusedChange
from matchmaker.web.unavailable import register_unavailable


def register_web(app: Flask) -> None:
    from matchmaker.web import (
        account,
        admin,
        arena_event_day,
        arena_forms,
        arena_organiser,
        arenas,
        auth,
        collaborations,
        funding,
        indicators,
        input_guard,
        main,
        matching,
        members,
        notification_settings,
        notifications,
        organisations,
        profiles,
        sign_in,
    )

    for module in (main, auth, profiles, matching, account, admin, organisations, arenas, arena_organiser,
                   arena_event_day, notifications, collaborations, members):
        app.register_blueprint(module.bp)
    app.register_blueprint(notification_settings.bp)
    app.register_blueprint(indicators.bp)
    app.register_blueprint(funding.bp)
    from matchmaker.web import password_reset

    app.register_blueprint(password_reset.bp)
    from matchmaker.web import audit_log, privacy

    app.register_blueprint(privacy.bp)
    app.register_blueprint(audit_log.bp)
    app.before_request(input_guard.refuse_unstorable_input)
    app.before_request(sign_in.require_sign_in)
    app.register_error_handler(DomainError, _domain_error_page)
    app.register_error_handler(RefusedChange, _refused_change)
    app.register_error_handler(CSRFError, _csrf_error_page)
    app.register_error_handler(HTTPException, _http_error_page)
    register_unavailable(app)
    # Globals rather than a context processor, so imported macros see them too.
    app.jinja_env.globals.update(vocabulary=vocabulary, label=vocabulary.label, get_locale=get_locale,
                                 describe_mismatch=wording.describe_mismatch, strength_label=wording.strength_label,
                                 unread_notifications=notifications.unread_count)
    app.jinja_env.globals.update(arena_forms.template_globals())
    app.jinja_env.globals.update(arena_event_day.template_globals())


def _is_api_request() -> bool:
    return request.path.startswith("/api/")


def _domain_error_page(error: DomainError):
    roll_back_request()  # nothing of a refused request is kept, whatever it changed before the refusal
    if _is_api_request():
        from matchmaker.api.errors import domain_error_response

        return domain_error_response(error)
    return render_template("errors/error.html", status=error.status, message=error.message,
                           field_errors=error.field_errors), error.status


def _refused_change(refusal: RefusedChange):
    roll_back_request()  # first: the flash words its message in the signed-in user's language
    flash(_("Not changed: %(reason)s", reason=refusal.reason.message), "error")
    return redirect(refusal.back_to)


def _csrf_error_page(error: CSRFError):
    message = _("The form had expired or came from elsewhere. Please go back, reload the page and try again.")
    return render_template("errors/error.html", status=400, message=message), 400


def _http_error_page(error: HTTPException):
    if _is_api_request():
        from matchmaker.api.errors import http_error_response

        return http_error_response(error)
    messages = {
        403: _("You do not have access to this page."),
        404: _("We could not find that page."),
        405: _("That action is not possible here."),
    }
    message = messages.get(error.code or 500, error.description)
    return render_template("errors/error.html", status=error.code, message=message), error.code
