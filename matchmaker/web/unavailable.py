"""When the database cannot be reached, answer 503 "try again in a minute" instead of 500.

PostgreSQL restarting, a network blip or an exhausted connection pool pass by themselves: the
pool tests each connection before handing it out and the broken one of this request is dropped,
so the next request works again without restarting anything. Telling the client to retry is
the honest answer; a 500 would say the code is wrong.
"""

from __future__ import annotations

import logging
import time
from threading import Lock

from flask import Flask, current_app, g, request, request_finished, session
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exc, inspect

from matchmaker.i18n import browser_locale
from matchmaker.vocabulary import INTERFACE_LOCALES

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 60
# SQLite reports a missing table as an OperationalError; that is a bug, not an outage.
SQLITE_BUGS = ("no such ", "syntax error")


OUTAGE_KEY = "matchmaker.outage"


def register_unavailable(app: Flask) -> None:
    app.extensions[OUTAGE_KEY] = Outage()
    app.register_error_handler(exc.DBAPIError, database_error_response)
    app.register_error_handler(exc.TimeoutError, database_error_response)
    request_finished.connect(_database_answered, app)


class Outage:
    """Whether this process is in a database outage: its start and its end are logged once
    each, rather than a warning for every refused request of a busy site."""

    def __init__(self):
        self._lock = Lock()
        self.since: float | None = None
        self.refused = 0

    def refused_request(self, error: exc.SQLAlchemyError) -> None:
        with self._lock:
            self.refused += 1
            starts = self.since is None
            if starts:
                self.since = time.monotonic()
        if starts:
            log.warning("database unavailable (first at %s %s: %s); answering 503 until it is back",
                        request.method, request.path, _summary(error))
        else:
            log.debug("database still unavailable for %s %s: %s", request.method, request.path, _summary(error))

    def answered(self) -> None:
        if self.since is None:  # the usual case, without taking the lock
            return
        with self._lock:
            if self.since is None:
                return
            seconds, refused = time.monotonic() - self.since, self.refused
            self.since, self.refused = None, 0
        log.warning("database available again after %.0f s; %d requests were answered 503", seconds, refused)


def _database_answered(app: Flask, response, **_extra) -> None:
    """A request that used the database and was not refused ends an outage."""
    if response.status_code != 503 and g.get("db_session") is not None:
        app.extensions[OUTAGE_KEY].answered()


def is_unavailable(error: BaseException) -> bool:
    """Whether a database error means "the database cannot be reached" rather than bad SQL or data."""
    if isinstance(error, exc.TimeoutError):  # no pooled connection came free in time
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, exc.OperationalError | exc.InterfaceError):
        return False
    return not any(marker in str(error.orig) for marker in SQLITE_BUGS)


def database_error_response(error: exc.SQLAlchemyError):
    if not is_unavailable(error):
        # Any other database error is a bug or bad data: the usual 500, logged with its traceback.
        raise error
    current_app.extensions[OUTAGE_KEY].refused_request(error)
    with force_locale(_locale_without_database()):
        message = _("The service is briefly unavailable, please try again in a minute.")
        response = _api_response(message) if request.path.startswith("/api/") else _page(message)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _summary(error: exc.SQLAlchemyError) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


def _api_response(message: str):
    from matchmaker.api.errors import error_response

    return error_response(503, message)


def _page(message: str):
    # Rendered without the context processors and base.html: both load the signed-in user,
    # which means asking the database that just failed.
    body = current_app.jinja_env.get_template("errors/unavailable.html").render(status=503, message=message)
    return current_app.response_class(body, status=503)


def _locale_without_database() -> str:
    """The language the request would get, from what is at hand; the usual choice loads the user."""
    user = g.get("_login_user")
    state = inspect(user, raiseerr=False) if user is not None else None
    loaded = state.dict.get("locale") if state is not None else None
    for locale in (loaded, session.get("locale")):
        if locale in INTERFACE_LOCALES:
            return locale
    return browser_locale(request.accept_languages)
