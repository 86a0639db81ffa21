"""matchmaker: connects health-tech suppliers, clinical departments and funding agencies."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from matchmaker.config import PROJECT_ROOT, load_config


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. Does no I/O beyond reading configuration: no migrations, no network."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    app.config.update(load_config())
    app.config.update(config or {})
    _check_config(app)
    register_logging(app)
    app.url_map.converters["int"] = DatabaseId
    register_extensions(app)
    register_blueprints(app)
    register_request_limits(app)
    register_commands(app)
    return app


class DatabaseId(IntegerConverter):
    """``<int:...>`` in every route. An id larger than the database can hold (PostgreSQL's
    integer) names nothing: 404, rather than an error in the database. (The converter's ``max``
    would make such a URL "method not allowed" instead.)"""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_ID:
            raise NotFound()
        return number


MAX_ID = 2**31 - 1


def _check_config(app: Flask) -> None:
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "No SECRET_KEY: set the SECRET_KEY environment variable or write one to instance/secret_key "
            "(make run does this)."
        )


def register_logging(app: Flask) -> None:
    """First, so that whatever the rest logs is formatted and shown."""
    from matchmaker.log_config import register_logging as configure

    configure(app)


def register_extensions(app: Flask) -> None:
    from matchmaker import auth, i18n
    from matchmaker.database import register_database
    from matchmaker.web.security import register_security

    register_database(app)
    i18n.register_i18n(app)
    auth.register_login(app)
    register_security(app)


def register_blueprints(app: Flask) -> None:
    from matchmaker.api import api_blueprint
    from matchmaker.web import register_web

    register_web(app)
    app.register_blueprint(api_blueprint, url_prefix="/api/v1")


def register_request_limits(app: Flask) -> None:
    """After the blueprints: the rate limits attach to their views."""
    from matchmaker.web import rate_limits

    rate_limits.trust_proxies(app)
    rate_limits.register_rate_limits(app)


def register_commands(app: Flask) -> None:
    from matchmaker.cli import register_cli

    register_cli(app)
