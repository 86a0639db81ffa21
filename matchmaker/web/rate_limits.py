"""Rate limits on signing in, password-reset requests and failed API token checks (Flask-Limiter),
and the client address they count by.

Every app gets a limiter of its own (in ``app.extensions``), so apps built with different
settings, as tests do, never share counters or settings. The limits attach to the registered
views by endpoint, all listed here, so they must be registered after the blueprints.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, render_template, request
from flask_babel import ngettext
from flask_limiter import Limiter, RateLimitExceeded
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger(__name__)

EXTENSION_KEY = "matchmaker.limiter"

# Several limits in one string are separated by ";". The per-account limits let one person
# mistype a few times; the per-address ones stop one machine trying many accounts.
LOGIN_PER_ADDRESS = "10/minute;50/hour"
LOGIN_PER_ACCOUNT = "5/minute;20/hour"
RESET_REQUEST_PER_ADDRESS = "5/minute;20/hour"
# Each request sends an e-mail, so a few an hour keep anyone from flooding a mailbox.
RESET_REQUEST_PER_ACCOUNT = "3/hour"
RESET_FORM_PER_ADDRESS = "10/minute;50/hour"
API_TOKEN_FAILURES_PER_ADDRESS = "20/minute;100/hour"
# Seconds to wait for Redis; its URL can override them (?socket_timeout=...). The in-memory
# storage ignores them.
STORAGE_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}


def client_address() -> str:
    """The client's address. Behind reverse proxies ProxyFix puts the X-Forwarded-For address
    here, and only when TRUSTED_PROXIES says how many proxies to trust."""
    return request.remote_addr or "unknown"


def submitted_account() -> str:
    """The account a form names, looked up the way sign-in does it. Hashed, so that the
    limiter's storage and log lines hold no e-mail addresses."""
    email = request.form.get("email", "").strip().lower()
    return "account:" + hashlib.sha256(email.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ViewLimit:
    limits: str
    key: Callable[[], str]  # the counter's key for the current request
    scope: str


POST_ONLY = ["POST"]
ROUTE_LIMITS = {
    "auth.login": [ViewLimit(LOGIN_PER_ADDRESS, client_address, "address"),
                   ViewLimit(LOGIN_PER_ACCOUNT, submitted_account, "account")],
    "password_reset.forgot": [ViewLimit(RESET_REQUEST_PER_ADDRESS, client_address, "address"),
                              ViewLimit(RESET_REQUEST_PER_ACCOUNT, submitted_account, "account")],
    "password_reset.choose": [ViewLimit(RESET_FORM_PER_ADDRESS, client_address, "address")],
}


def trust_proxies(app: Flask) -> None:
    """Take the client address and scheme from the headers of TRUSTED_PROXIES reverse proxies.
    Without it these headers are ignored: any client could send them to pose as anyone."""
    count = int(app.config.get("TRUSTED_PROXIES") or 0)
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def register_rate_limits(app: Flask) -> None:
    """Off by default under TESTING, since the test client signs in from one address all the
    time; tests that are about limits switch RATELIMIT_ENABLED on."""
    if app.config.get("RATELIMIT_ENABLED") is None:
        app.config["RATELIMIT_ENABLED"] = not app.testing
    # Moving windows allow no burst of twice the limit around a window's edge. If the storage
    # fails or hangs, each worker counts in its own memory until it is back, rather than
    # refusing or stalling every sign-in.
    limiter = Limiter(client_address, strategy="moving-window", key_prefix="matchmaker",
                      in_memory_fallback_enabled=True, storage_options=dict(STORAGE_TIMEOUTS))
    limiter.init_app(app)
    app.extensions[EXTENSION_KEY] = limiter
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    if limiter.enabled:
        _limit_views(app, limiter)


def get_limiter(app: Flask | None = None) -> Limiter:
    """The app's limiter; tests call ``get_limiter(app).reset()`` to start counting afresh."""
    return (app or current_app).extensions[EXTENSION_KEY]


def _limit_views(app: Flask, limiter: Limiter) -> None:
    for endpoint, route_limits in ROUTE_LIMITS.items():
        view = app.view_functions[endpoint]
        for limit in route_limits:
            view = limiter.limit(limit.limits, key_func=limit.key, scope=limit.scope, methods=POST_ONLY)(view)
        app.view_functions[endpoint] = view
    # Counted only when a request is refused for its token, but checked before every API
    # request: an address that guessed too often is refused even with a good token for a while.
    limiter.shared_limit(API_TOKEN_FAILURES_PER_ADDRESS, scope="api-token-failures", key_func=client_address,
                         deduct_when=lambda response: response.status_code == 401)(app.blueprints["api"])


def retry_after_seconds(error: RateLimitExceeded) -> int:
    """Seconds until the breached limit lets the next request through."""
    current = get_limiter().current_limit
    if current is not None and current.breached:
        # reset_at is rounded up to a whole second; never ask for more than the window.
        return max(1, min(current.limit.get_expiry(), math.ceil(current.reset_at - time.time())))
    return max(1, error.limit.limit.get_expiry())


def _too_many_requests(error: RateLimitExceeded):
    seconds = retry_after_seconds(error)
    log.info("refused %s %s from %s: too many requests", request.method, request.path, client_address())
    if request.path.startswith("/api/"):
        from matchmaker.api.errors import error_response

        response = error_response(429, f"Too many requests. Try again in {seconds} seconds.")
    else:
        minutes = max(1, round(seconds / 60))
        message = ngettext("Too many attempts. Please wait %(num)d minute and try again.",
                           "Too many attempts. Please wait %(num)d minutes and try again.", minutes)
        response = current_app.make_response((
            render_template("errors/error.html", status=429, message=message), 429))
    response.headers["Retry-After"] = str(seconds)
    return response
