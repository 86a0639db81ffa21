"""Throwaway migrated databases for the test run: a SQLite file, or a PostgreSQL schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from matchmaker.config import normalise_database_url
from matchmaker.migrate import upgrade

PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL and PG_URL != "none" else [])


@contextmanager
def empty_database(backend: str, directory: Path) -> Iterator[str]:
    """Yields the URL of a database with no tables: a SQLite file, or a PostgreSQL schema of its
    own, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / f'{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    base = normalise_database_url(PG_URL)
    schema = f"mm_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@contextmanager
def migrated_database(backend: str, directory: Path) -> Iterator[str]:
    """Yields the URL of a new database with the schema migrated to head; drops it afterwards."""
    with empty_database(backend, directory) as url:
        upgrade("head", url)
        yield url
