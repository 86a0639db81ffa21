"""More apps on a test's database, for tests about settings the conftest app does not vary."""

from __future__ import annotations

from matchmaker import create_app

# The settings of the conftest app that any other app on the test's database needs too.
BASE_KEYS = ("TESTING", "SECRET_KEY", "DATABASE_URL", "DATABASE_BIND", "WTF_CSRF_ENABLED",
             "MATCHING_ENCODER", "MATCHING_SNAPSHOT_DIR", "MATCH_VIEW_BATCH")


def app_with(app, **config):
    """Another app on the test's database and transaction, with some settings changed; the rest
    comes from the environment, as in production."""
    return create_app({**{key: app.config[key] for key in BASE_KEYS}, **config})
