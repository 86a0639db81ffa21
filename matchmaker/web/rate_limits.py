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

# Several limits in one string are separated by ";". The per-address limits stop one machine
# trying many accounts; the per-account-and-address ones stop it guessing at one account. No limit
# counts the account alone: then anyone could lock anyone out by failing on purpose. Instead every
# attempt at an account waits a little longer the more it failed lately, from any address.
LOGIN_PER_ADDRESS = "10/minute;50/hour"
LOGIN_PER_ACCOUNT_AND_ADDRESS = "5/minute;20/hour"
# Failed sign-ins at an account, counted for FAILURE_MEMORY_SECONDS from the first: the first
# FREE_FAILURES cost nothing, then each attempt waits FIRST_DELAY seconds, doubling up to MAX_DELAY.
FAILURE_MEMORY_SECONDS = 15 * 60
FREE_FAILURES = 3
FIRST_DELAY_SECONDS = 0.5
MAX_DELAY_SECONDS = 4.0
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


def submitted_account_at_address() -> str:
    return f"{submitted_account()}|{client_address()}"


@dataclass(frozen=True)
class ViewLimit:
    limits: str
    key: Callable[[], str]  # the counter's key for the current request
    scope: str


POST_ONLY = ["POST"]
ROUTE_LIMITS = {
    "auth.login": [ViewLimit(LOGIN_PER_ADDRESS, client_address, "address"),
                   ViewLimit(LOGIN_PER_ACCOUNT_AND_ADDRESS, submitted_account_at_address, "account-address")],
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


# --- the per-account delay ----------------------------------------------------------------------

sleep = time.sleep  # tests replace it to see the delays without waiting for them


def wait_before_sign_in() -> float:
    """Waits as long as the submitted account's recent failures ask for (none when rate limits
    are off); returns the seconds waited. The right password from anywhere still gets in, only
    later: a guesser is slowed down, the account's owner is never locked out."""
    failures = _failure_store(lambda storage, key: storage.get(key)) or 0
    delay = sign_in_delay(failures)
    if delay:
        log.info("sign-in at an account with %d recent failures waits %.1f s", failures, delay)
        sleep(delay)
    return delay


def sign_in_delay(failures: int) -> float:
    if failures < FREE_FAILURES:
        return 0.0
    return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** (failures - FREE_FAILURES))


def sign_in_failed() -> None:
    _failure_store(lambda storage, key: storage.incr(key, FAILURE_MEMORY_SECONDS))


def sign_in_succeeded() -> None:
    _failure_store(lambda storage, key: storage.clear(key))


def _failure_store(operation):
    """Runs ``operation(storage, key)`` on the limiter's storage (Redis in production, so that all
    workers count together), for the submitted account. A storage that fails means no delay: a
    sign-in must not wait on it."""
    limiter = get_limiter()
    if not limiter.enabled:
        return None
    key = f"matchmaker/sign-in-failures/{submitted_account()}"
    try:
        return operation(limiter.storage, key)
    except Exception as error:  # noqa: BLE001  whatever the storage's client raises
        log.warning("sign-in failures not counted, the rate-limit storage failed: %s", error)
        return None
