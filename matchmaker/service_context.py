"""The services' ``Context`` (see ``matchmaker.services.context``) as this app gives it: its
settings, its pages, its encoder, and for a request the address it came from."""

from __future__ import annotations

import logging

from flask import Flask, has_request_context, request, url_for
from werkzeug.routing import BuildError

from matchmaker.services.context import Context, Settings

log = logging.getLogger(__name__)


def settings_of(app: Flask) -> Settings:
    config = app.config
    base = config.get("BASE_URL") or ""
    if not base and config.get("SERVER_NAME"):
        base = f"{config.get('PREFERRED_URL_SCHEME', 'https')}://{config['SERVER_NAME']}"
    return Settings(secret_key=config["SECRET_KEY"], base_url=base,
                    password_reset_max_age=int(config.get("PASSWORD_RESET_MAX_AGE") or 3600))


def context_of(app: Flask) -> Context:
    """The context of one session of ``app``; in a request, with the client's address."""
    from matchmaker.matching.runtime import get_encoder

    in_request = has_request_context()

    def site_path(endpoint: str, values: dict) -> str | None:
        # Built without a request, so the same link comes out of a page and a cron job.
        try:
            return app.url_map.bind("localhost").build(endpoint, values)
        except BuildError:
            log.warning("no page %s for a link", endpoint)
            return None

    def page_path(endpoint: str, values: dict) -> str | None:
        return url_for(endpoint, **values) if in_request and has_request_context() else site_path(endpoint, values)

    return Context(settings=settings_of(app), client_address=request.remote_addr if in_request else None,
                   page_path=page_path, site_path=site_path, encoder=lambda: get_encoder(app))
