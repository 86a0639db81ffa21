"""Engine and per-request session handling.

One session per request: it is committed once when the request succeeded and rolled back
otherwise (see ``register_session_lifecycle``). Services only flush.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from matchmaker.services.context import Context, attach

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


# Set on every new SQLite connection, for a web server's many threads and processes at once:
# - busy_timeout first, so that the others wait for a lock instead of failing at once;
# - WAL lets readers read while one writer writes, and NORMAL syncs at checkpoints rather than at
#   every commit (a power cut may lose the last commits, never corrupt the file);
# - foreign keys are off by default in SQLite; the schema relies on them;
# - reads through a memory map instead of a read() per page: a match reads a hundred profiles'
#   passage vectors, several pages each, and took a fifth less time so (1 GiB of address space,
#   not of memory: the pages are the file's, shared with the OS cache).
SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_MMAP_BYTES = 1 << 30
SQLITE_PRAGMAS = (f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}", "journal_mode=WAL", "synchronous=NORMAL",
                  "foreign_keys=ON", f"mmap_size={SQLITE_MMAP_BYTES}")
# Execution option: begin this connection's transaction with BEGIN IMMEDIATE (SQLite only).
IMMEDIATE = "matchmaker_begin_immediate"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _make_sqlite_transactional(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _make_sqlite_transactional(engine: Engine) -> None:
    """pysqlite's own transaction handling breaks SAVEPOINTs; let SQLAlchemy emit BEGIN itself.

    SQLite's lower() only folds ASCII, so text search would miss "Ø" for "ø" without the Python one.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A plain BEGIN reads first and takes the write lock at the first write, and fails there
        # at once if another connection wrote in between; IMMEDIATE takes it up front and waits.
        immediate = connection.get_execution_options().get(IMMEDIATE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


class Database:
    """Holds the engine and the session factory of one app."""

    def __init__(self, url: str, bind: Connection | None = None,
                 context: Callable[[], Context] | None = None):
        self.engine = make_engine(url) if bind is None else bind.engine
        # Tests hand in a connection inside an outer transaction; sessions then work in
        # savepoints and the test rolls everything back.
        mode = "create_savepoint" if bind is not None else "conditional_savepoint"
        self.session_factory = sessionmaker(
            bind=bind or self.engine, expire_on_commit=False, join_transaction_mode=mode
        )
        self._begins_itself = bind is None and self.engine.dialect.name == "sqlite"
        # What the services of each session are given (see ``matchmaker.services.context``).
        self._context = context or Context

    def new_session(self, immediate: bool = False) -> Session:
        """``immediate``: on SQLite, the transaction takes the write lock before its first read
        (see ``WRITING_METHODS``). PostgreSQL locks rows instead, and a test's outer transaction is
        already begun."""
        session = attach(self.session_factory(), self._context())
        if immediate and self._begins_itself:
            session.connection(execution_options={IMMEDIATE: True})
        return session

    @contextmanager
    def session_scope(self, immediate: bool = False) -> Iterator[Session]:
        """A session for work outside a request (CLI): commit on success, roll back on error.
        A short read-then-write that runs beside the web server passes ``immediate``, so that a
        request committing in between does not fail it; a long one must not, or it would hold
        every request's writes back for its whole length."""
        session = self.new_session(immediate)
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


# Requests that change something. On SQLite their transaction takes the write lock up front: a
# plain BEGIN that reads (who is signed in) and then writes fails at once, whatever the busy
# timeout, when another connection committed in between; waiting a few milliseconds is better.
# It also makes the second of two requests about the same rows (both asking each other for a
# meeting) wait for the first and read what it wrote; the services lock rows for PostgreSQL.
WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def get_session() -> Session:
    """The current request's session, created on first use."""
    if "db_session" not in g:
        g.db_session = get_database().new_session(immediate=_request_writes())
    return g.db_session


def reads_only(view: Callable) -> Callable:
    """Marks a view that answers a POST without changing anything (a search whose text comes in
    the body), so that on SQLite it does not hold every writer back while it works."""
    view.reads_only = True
    return view


def writes(view: Callable) -> Callable:
    """Marks a view that changes something although it answers a GET (the notification list marks
    what it shows as read, a check-in link checks in), so that on SQLite it takes the write lock
    up front as a POST does."""
    view.writes = True
    return view


def _request_writes() -> bool:
    if not has_request_context():
        return False
    view = current_app.view_functions.get(request.endpoint)
    if request.method in WRITING_METHODS:
        return not getattr(view, "reads_only", False)
    return getattr(view, "writes", False)


def after_commit(write: Callable[[Session], None], what: str) -> None:
    """Bookkeeping a read makes (match views, when a token was last used): written after the
    request's own work is committed, in a short transaction of its own, so that it never holds a
    lock through the request nor turns a good answer into an error. A failed write is logged,
    and dropped. ``what`` names it in that log line."""
    g.setdefault("after_commit", []).append((write, what))


def register_database(app: Flask) -> None:
    from matchmaker.service_context import context_of

    app.extensions["matchmaker.database"] = Database(
        app.config["DATABASE_URL"], bind=app.config.get("DATABASE_BIND"), context=lambda: context_of(app)
    )
    app.after_request(_commit_successful_request)
    app.teardown_appcontext(_close_session)


def _commit_successful_request(response):
    session: Session | None = g.get("db_session")
    if response.status_code >= 400:
        if session is not None:
            _roll_back(session)
        return response
    if session is not None:
        try:
            session.commit()
        except (sa_exc.DBAPIError, sa_exc.TimeoutError) as error:
            # The database went away between the view and the commit: nothing was saved, so let
            # the app's error handlers answer (503 when it is unreachable) rather than send the success.
            _roll_back(session)
            return current_app.make_response(current_app.handle_user_exception(error))
    _write_bookkeeping(g.pop("after_commit", []))
    return response


def roll_back_request() -> None:
    """Drops everything the request changed, before a refusal is shown: a service may have
    changed something before it refused, and a failed flush leaves the session unable to read
    (the page shown may need to) until rolled back. Nothing of the request is then committed."""
    session: Session | None = g.get("db_session")
    if session is not None:
        _roll_back(session)


def _write_bookkeeping(writes: list[tuple[Callable[[Session], None], str]]) -> None:
    for write, what in writes:
        try:
            # Nothing read first: the transaction is all writes, so on SQLite it waits its turn
            # instead of failing on a stale read. One each, so one failing loses no other.
            with get_database().session_scope(immediate=True) as session:
                write(session)
        except Exception as error:  # noqa: BLE001  bookkeeping must never fail the request
            log.warning("could not record %s: %s", what, error, exc_info=log.isEnabledFor(logging.DEBUG))


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
