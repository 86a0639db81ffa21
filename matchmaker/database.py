"""Engine and per-request session handling.

One session per request: it is committed once when the request succeeded and rolled back
otherwise (see ``register_session_lifecycle``). Services only flush.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _make_sqlite_transactional(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _make_sqlite_transactional(engine: Engine) -> None:
    """pysqlite's own transaction handling breaks SAVEPOINTs; let SQLAlchemy emit BEGIN itself.

    Foreign keys are off by default in SQLite; the schema relies on them. SQLite's lower()
    only folds ASCII, so text search would miss "Ø" for "ø" without the Python one.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN")


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


class Database:
    """Holds the engine and the session factory of one app."""

    def __init__(self, url: str, bind: Connection | None = None):
        self.engine = make_engine(url) if bind is None else bind.engine
        # Tests hand in a connection inside an outer transaction; sessions then work in
        # savepoints and the test rolls everything back.
        mode = "create_savepoint" if bind is not None else "conditional_savepoint"
        self.session_factory = sessionmaker(
            bind=bind or self.engine, expire_on_commit=False, join_transaction_mode=mode
        )

    @contextmanager
    def session_scope(self) -> Iterator[Session]:
        """A session for work outside a request (CLI): commit on success, roll back on error."""
        session = self.session_factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def get_database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["matchmaker.database"]


def get_session() -> Session:
    """The current request's session, created on first use."""
    if "db_session" not in g:
        g.db_session = get_database().session_factory()
    return g.db_session


def register_database(app: Flask) -> None:
    app.extensions["matchmaker.database"] = Database(
        app.config["DATABASE_URL"], bind=app.config.get("DATABASE_BIND")
    )
    app.after_request(_commit_successful_request)
    app.teardown_appcontext(_close_session)


def _commit_successful_request(response):
    session: Session | None = g.get("db_session")
    if session is None:
        return response
    if response.status_code >= 400:
        _roll_back(session)
        return response
    try:
        session.commit()
    except (sa_exc.DBAPIError, sa_exc.TimeoutError) as error:
        # The database went away between the view and the commit: nothing was saved, so let the
        # app's error handlers answer (503 when it is unreachable) rather than send the success.
        _roll_back(session)
        return current_app.make_response(current_app.handle_user_exception(error))
    return response


def _roll_back(session: Session) -> None:
    try:
        session.rollback()
    except (sa_exc.DBAPIError, sa_exc.TimeoutError) as error:
        # A connection that broke mid-request cannot roll back; drop it rather than pool it.
        log.debug("discarding a broken database connection: %r", error)
        session.invalidate()


def _close_session(exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is None:
        return
    if exc is not None:
        log.debug("rolling back after %r", exc)
    _roll_back(session)
    session.close()
