"""Back up and restore the whole database: pg_dump/pg_restore for PostgreSQL, SQLite's online
backup API for SQLite. No Flask here; the ``db backup`` and ``db restore`` commands wrap it."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from psycopg.conninfo import make_conninfo
from sqlalchemy import URL, Engine, inspect, make_url, text

from matchmaker.database import make_engine

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
VERSION_TABLE = "alembic_version"


class BackupError(Exception):
    """Something the operator has to fix: a missing tool, a wrong file, a refused restore."""


@dataclass
class Contents:
    """What a database holds, for the summary lines and the "has data" check."""

    revision: str | None
    rows: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def read_contents(url: str) -> Contents:
    if _is_sqlite(url) and not Path(_sqlite_path(url)).exists():
        return Contents(None, {})  # connecting would create the file
    engine = make_engine(url)
    try:
        return _contents(engine)
    finally:
        engine.dispose()


def _contents(engine: Engine) -> Contents:
    with engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        rows = {table: connection.scalar(text(f'SELECT count(*) FROM "{table}"'))
                for table in tables if table != VERSION_TABLE}
        revision = (connection.scalar(text(f"SELECT version_num FROM {VERSION_TABLE}"))
                    if VERSION_TABLE in tables else None)
    return Contents(revision, rows)


def backup(url: str, path: Path) -> None:
    """Write a backup of the database at ``url`` to ``path``. A failed backup leaves no file, so
    a half-written one is never mistaken for a good one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")[1])
    try:
        if _is_sqlite(url):
            _sqlite_backup(_sqlite_path(url), partial)
        else:
            _pg_dump(url, partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def restore(url: str, path: Path) -> list[str]:
    """Replace the database at ``url`` with the backup in ``path``; returns the tables dropped
    because the backup does not have them. The caller upgrades the schema afterwards, since the
    backup may be older than the code."""
    kind = backup_kind(path)
    if _is_sqlite(url):
        if kind != "sqlite":
            raise BackupError(f"{path} is not a SQLite backup, and the database is SQLite.")
        _sqlite_restore(path, _sqlite_path(url))
        return []
    if kind != "postgresql":
        raise BackupError(f"{path} is not a PostgreSQL backup (pg_dump custom format), and the database is "
                          "PostgreSQL.")
    return _pg_restore(url, path)


def backup_kind(path: Path) -> str:
    with path.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is neither a SQLite database nor a pg_dump custom-format archive.")


def describe(url: str) -> str:
    """The database's address without the password, for progress lines."""
    parsed = make_url(url)
    if _is_sqlite(url):
        return f"SQLite database {_sqlite_path(url)}"
    schema = search_path_schema(parsed)
    where = f"{parsed.host or 'local socket'}{f':{parsed.port}' if parsed.port else ''}"
    return f"PostgreSQL database {parsed.database} on {where}" + (f", schema {schema}" if schema else "")


# SQLite


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_path(url: str) -> str:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return path


def _sqlite_backup(source: str, target: Path) -> None:
    # The online backup API copies a consistent state even while the app keeps writing.
    with _sqlite_connect(source, read_only=True) as src, _sqlite_connect(str(target)) as dst:
        src.backup(dst)


def _sqlite_restore(backup_file: Path, target: str) -> None:
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    # Copying into the live file (not replacing it) keeps open connections valid and replaces every
    # page in one transaction: tables the backup lacks are gone afterwards, as they should be.
    with _sqlite_connect(str(backup_file), read_only=True) as src, _sqlite_connect(target) as dst:
        src.backup(dst)


@contextmanager
def _sqlite_connect(path: str, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    uri = f"{Path(path).resolve().as_uri()}{'?mode=ro' if read_only else ''}"
    connection = sqlite3.connect(uri, uri=True, timeout=30)
    try:
        yield connection
    finally:
        connection.close()


# PostgreSQL


def search_path_schema(url: URL) -> str | None:
    """The schema a URL's ``options=-csearch_path=...`` points at, or None for the default.

    With one, backup and restore cover that schema only, so several databases can share one
    PostgreSQL database (tests and the multi-host drill do)."""
    match = re.search(r"search_path\s*=\s*(\S+)", str(url.query.get("options", "")))
    if not match:
        return None
    names = [name.strip().strip('"') for name in match.group(1).split(",")]
    return next((name for name in names if name and name != "$user"), None)


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(f"{name} is not installed; install the PostgreSQL client tools matching the server.")
    return tool


def _pg_connection(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the client tools, and their environment.

    The password goes in the environment, not the command line, where other users could read it.
    The ``options`` parameter is left out: the tools set their own search_path and session settings.
    """
    params = {key: value for key, value in url.query.items() if key != "options" and isinstance(value, str)}
    conninfo = make_conninfo(**{key: value for key, value in dict(
        host=url.host, port=url.port, user=url.username, dbname=url.database, **params).items() if value is not None})
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def _run(command: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed:\n{result.stderr.strip()}")
    return result.stdout


def _pg_dump(url: str, target: Path) -> None:
    parsed = make_url(url)
    conninfo, env = _pg_connection(parsed)
    schema = search_path_schema(parsed)
    _run([_pg_tool("pg_dump"), "--format=custom", f"--file={target}", *([f"--schema={schema}"] if schema else []),
          f"--dbname={conninfo}"], env)


def archive_tables(path: Path) -> set[tuple[str, str]]:
    """(schema, table) of every table in a custom-format archive, from its table of contents."""
    return {(fields[1], fields[2]) for fields in _archive_entries(path, "TABLE") if fields[1] != "DATA"}


def archive_foreign_keys(path: Path) -> set[tuple[str, str, str]]:
    """(schema, table, constraint) of every foreign key in the archive."""
    return {(fields[2], fields[3], fields[4]) for fields in _archive_entries(path, "FK") if fields[1] == "CONSTRAINT"}


def _archive_entries(path: Path, kind: str) -> list[list[str]]:
    """The table-of-contents lines of that kind, split from the kind on: "215; 1259 16390 TABLE
    public users owner" gives ["TABLE", "public", "users", "owner"]."""
    listing = _run([_pg_tool("pg_restore"), "--list", str(path)], dict(os.environ))
    entries = []
    for line in listing.splitlines():
        if line.startswith(";") or ";" not in line:
            continue
        fields = line.split(";", 1)[1].split()
        if len(fields) >= 5 and fields[2] == kind:
            entries.append(fields[2:])
    return entries


def _pg_restore(url: str, path: Path) -> list[str]:
    parsed = make_url(url)
    conninfo, env = _pg_connection(parsed)
    tables = archive_tables(path)
    _check_same_schema(parsed, {schema for schema, _ in tables}, path)
    dropped = _drop_tables_not_in(url, tables, archive_foreign_keys(path))
    # One transaction, stopping at the first error: a failed restore leaves the old data in place.
    # Objects are owned by, and granted as, the user restoring, so a backup moves between servers.
    _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
          "--no-owner", "--no-privileges", f"--dbname={conninfo}", str(path)], env)
    return dropped


def _check_same_schema(url: URL, archive_schemas: set[str], path: Path) -> None:
    """pg_restore recreates objects in the schema they were dumped from; it cannot rename it."""
    schema = search_path_schema(url)
    if schema and archive_schemas and archive_schemas != {schema}:
        raise BackupError(f"{path} holds schema {', '.join(sorted(archive_schemas))}, not {schema}; "
                          f"restore it into a database whose search_path names that schema.")


def _drop_tables_not_in(url: str, keep: set[tuple[str, str]], keys: set[tuple[str, str, str]]) -> list[str]:
    """Tables a later migration added would survive ``--clean`` (it drops only what the archive
    holds) and then make ``db upgrade`` fail to create them; drop them first. So too for foreign
    keys a later migration added to the archive's tables: they would stop ``--clean`` dropping
    the keys they point at."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            inspector = inspect(connection)
            schemas = {schema for schema, _ in keep} | {inspector.default_schema_name} - {None}
            extra = [(schema, table) for schema in sorted(schemas) if schema in inspector.get_schema_names()
                     for table in inspector.get_table_names(schema=schema) if (schema, table) not in keep]
            for schema, table in extra:
                connection.execute(text(f'DROP TABLE IF EXISTS "{schema}"."{table}" CASCADE'))
            _drop_foreign_keys_not_in(connection, inspector, keep, keys)
    finally:
        engine.dispose()
    return [table for _, table in extra]


def _drop_foreign_keys_not_in(connection, inspector, tables, keys: set[tuple[str, str, str]]) -> None:
    for schema, table in sorted(tables):
        if schema not in inspector.get_schema_names() or table not in inspector.get_table_names(schema=schema):
            continue
        for key in inspector.get_foreign_keys(table, schema=schema):
            if key["name"] and (schema, table, key["name"]) not in keys:
                connection.execute(text(f'ALTER TABLE "{schema}"."{table}" DROP CONSTRAINT "{key["name"]}"'))
