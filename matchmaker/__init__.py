"""matchmaker: connects health-tech suppliers, clinical departments and funding agencies."""

from __future__ import annotations

from typing import Any

from flask import Flask

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
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    return app


def _check_config(app: Flask) -> None:
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "No SECRET_KEY: set the SECRET_KEY environment variable or write one to instance/secret_key "
            "(make run does this)."
        )


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


def register_commands(app: Flask) -> None:
    from matchmaker.cli import register_cli

    register_cli(app)
