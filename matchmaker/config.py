"""Configuration read from the environment, with embedded defaults for a single machine."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
SECRET_KEY_FILE = INSTANCE_DIR / "secret_key"


def default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'matchmaker.sqlite3'}"


def read_secret_key() -> str | None:
    """SECRET_KEY from the environment, else from the instance file that `make run` writes.

    Every gunicorn worker must share one key, so a key generated per process would sign
    users out at random; a missing key is therefore an error, not something to improvise.
    """
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    if SECRET_KEY_FILE.exists():
        return SECRET_KEY_FILE.read_text().strip()
    return None


def normalise_database_url(url: str) -> str:
    """Accept plain postgres:// URLs (as hosting providers hand them out) and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_config() -> dict:
    return {
        "SECRET_KEY": read_secret_key(),
        "DATABASE_URL": normalise_database_url(os.environ.get("DATABASE_URL", default_database_url())),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Oslo",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # The "keep me signed in" cookie is as good as a password: HTTPS-only whenever the session is.
        "REMEMBER_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "WTF_CSRF_TIME_LIMIT": None,
        "MATCHING_ENCODER": os.environ.get("MATCHING_ENCODER", "default"),
        # The encoder is loaded in each worker after the fork, so its own small pool is safe.
        "MATCHING_ENCODER_THREADS": int(os.environ.get("MATCHING_ENCODER_THREADS", min(2, os.cpu_count() or 1))),
        "MATCHING_SNAPSHOT_DIR": os.environ.get("MATCHING_SNAPSHOT_DIR", str(INSTANCE_DIR / "index-cache")),
        "MATCHING_ANN_THRESHOLD": int(os.environ.get("MATCHING_ANN_THRESHOLD", 20_000)),
        "PAGE_SIZE": 20,
        # Match answers a worker keeps for repeated requests; the change log ends them sooner.
        "MATCH_ANSWER_SECONDS": float(os.environ.get("MATCH_ANSWER_SECONDS", 60)),
        # Match views (statistics) are written this many at a time, or after these seconds.
        "MATCH_VIEW_BATCH": int(os.environ.get("MATCH_VIEW_BATCH", 50)),
        "MATCH_VIEW_SECONDS": float(os.environ.get("MATCH_VIEW_SECONDS", 5)),
        # Seconds the arena scheduler may search when an organiser presses "run".
        "ARENA_SCHEDULER_SECONDS": float(os.environ.get("ARENA_SCHEDULER_SECONDS", 10)),
        "API_MAX_PAGE_SIZE": 100,
        # Links in e-mails need the site's public address, e.g. https://matchmaker.example.org
        "BASE_URL": os.environ.get("BASE_URL", ""),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", 25)),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "0").lower() in ("1", "true", "yes"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "matchmaker@localhost"),
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("MAIL_MAX_ATTEMPTS", 5)),
        # Rate-limit counters: memory:// counts per worker process; redis://HOST:6379/0 shares them
        # between all workers and hosts, so production uses Redis.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # "0" switches rate limiting off (a load test signing in from one machine); unset, it is on
        # except under TESTING.
        "RATELIMIT_ENABLED": {"1": True, "0": False}.get(os.environ.get("RATELIMIT_ENABLED", "")),
        # How many reverse proxies in front of the app append to X-Forwarded-For. 0 trusts none, since
        # a client can send these headers itself.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", 0)),
        "PASSWORD_RESET_MAX_AGE": int(os.environ.get("PASSWORD_RESET_MAX_AGE", 3600)),
        # Standard error, one line per event: LOG_FORMAT "text" for people, "json" for a log collector.
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text"),
    }
