"""`db backup` and `db restore` on SQLite and PostgreSQL: a restore brings back every row exactly,
refuses to overwrite data without --yes, and brings an older backup up to the latest schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from matchmaker import create_app
from matchmaker.database import make_engine
from matchmaker.matching.runtime import shared_encoder
from matchmaker.matching.store import refresh_profiles
from matchmaker.migrate import alembic_config, upgrade
from matchmaker.models import ApiToken, Organisation
from tests.databases import BACKENDS, empty_database
from tests.factories import Factory

OLDEST_REVISION = "0001"


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(backend, tmp_path) -> Iterator[str]:
    with empty_database(backend, tmp_path) as url:
        upgrade("head", url)
        yield url


@pytest.fixture
def session(database_url) -> Iterator[Session]:
    engine = make_engine(database_url)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


@pytest.fixture
def cli(database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
                      "MATCHING_ENCODER": "hashing", "MATCHING_SNAPSHOT_DIR": None})
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["db", *args])


def fill(session: Session) -> dict:
    """Organisations, people, profiles with stored vectors and change-log entries, an arena with a
    meeting: dates, JSON, binary vectors and foreign keys all go through the backup."""
    make = Factory(session)
    supplier, department = make.organisation("supplier"), make.organisation("clinical_department")
    founder, clinician = make.user(supplier), make.user(department)
    make.token(founder)
    need = make.need(department, title="Faster stroke imaging", clinical_areas=["neurology"])
    capability = make.capability(supplier, title="Night-time fall sensor")
    refresh_profiles(session, [need, capability], shared_encoder("hashing"))
    session.commit()
    arena = make.arena()
    make.meeting(arena, make.participant(arena, founder), make.participant(arena, clinician), note="Hello")
    return {"supplier": supplier}


def change(session: Session, made: dict) -> None:
    made["supplier"].name = "Renamed after the backup"
    session.delete(session.scalars(select(ApiToken)).one())
    Factory(session).organisation("funding_agency", name="Added after the backup")
    session.commit()


def every_row(url: str) -> dict[str, list]:
    """Each table's rows, in a stable order, for comparing two states of a database."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {table: sorted((tuple(row) for row in connection.execute(text(f'SELECT * FROM "{table}"'))),
                                  key=repr)
                    for table in inspect(connection).get_table_names()}
    finally:
        engine.dispose()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_restore_brings_back_every_row(cli, session, database_url, tmp_path):
    made = fill(session)
    before = every_row(database_url)
    backup = cli("backup", str(tmp_path / "backup.dump"))
    assert backup.exit_code == 0, backup.output
    assert "Backup written" in backup.output

    change(session, made)
    assert every_row(database_url) != before
    session.close()
    restore = cli("restore", str(tmp_path / "backup.dump"), "--yes")

    assert restore.exit_code == 0, restore.output
    assert every_row(database_url) == before
    assert f"schema revision {head_revision()}" in restore.output


def test_restored_database_takes_new_rows(cli, session, database_url, tmp_path):
    """Sequences come back with the rows, so new ids do not collide with restored ones."""
    fill(session)
    cli("backup", str(tmp_path / "backup.dump"))
    session.close()
    assert cli("restore", str(tmp_path / "backup.dump"), "--yes").exit_code == 0

    engine = make_engine(database_url)
    with Session(engine) as fresh:
        highest = fresh.scalar(select(Organisation.id).order_by(Organisation.id.desc()).limit(1))
        added = Factory(fresh).organisation("supplier")
        assert added.id > highest
    engine.dispose()


def test_restore_refuses_without_yes_when_the_database_has_data(cli, session, database_url, tmp_path):
    made = fill(session)
    cli("backup", str(tmp_path / "backup.dump"))
    change(session, made)
    changed = every_row(database_url)

    restore = cli("restore", str(tmp_path / "backup.dump"))

    assert restore.exit_code == 1
    assert "--yes" in restore.output
    assert every_row(database_url) == changed


def test_restore_into_an_empty_database_needs_no_yes(cli, session, database_url, tmp_path):
    fill(session)
    before = every_row(database_url)
    cli("backup", str(tmp_path / "backup.dump"))
    session.close()
    _empty(database_url)

    restore = cli("restore", str(tmp_path / "backup.dump"))

    assert restore.exit_code == 0, restore.output
    assert every_row(database_url) == before


def test_an_older_backup_is_upgraded_to_the_latest_schema(backend, tmp_path):
    """A backup from before later migrations replaces a database at head: the tables those
    migrations added go, the old rows come back, and the schema ends up at head again."""
    with empty_database(backend, tmp_path) as url:
        upgrade(OLDEST_REVISION, url)
        _add_organisation_at_oldest_revision(url, "Kept from the old backup")
        app = create_app({"SECRET_KEY": "test-secret", "DATABASE_URL": url, "MATCHING_SNAPSHOT_DIR": None})
        runner = app.test_cli_runner()
        assert runner.invoke(args=["db", "backup", str(tmp_path / "old.dump")]).exit_code == 0
        upgrade("head", url)

        restore = runner.invoke(args=["db", "restore", str(tmp_path / "old.dump"), "--yes"])

        assert restore.exit_code == 0, restore.output
        rows = every_row(url)
        assert rows["alembic_version"] == [(head_revision(),)]
        assert [row[2] for row in rows["organisations"]] == ["Kept from the old backup"]


def test_a_backup_of_the_other_kind_is_refused(cli, tmp_path, backend):
    other = tmp_path / "other.dump"
    other.write_bytes(b"PGDMP not really" if backend == "sqlite" else b"SQLite format 3\x00 not really")

    restore = cli("restore", str(other), "--yes")

    assert restore.exit_code == 1
    assert "is not a" in restore.output


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="PostgreSQL only")
def test_a_schema_backup_goes_back_into_the_same_schema_only(tmp_path):
    with empty_database("postgresql", tmp_path) as source, empty_database("postgresql", tmp_path) as target:
        upgrade("head", source)
        runner = create_app({"SECRET_KEY": "x", "DATABASE_URL": source}).test_cli_runner()
        assert runner.invoke(args=["db", "backup", str(tmp_path / "a.dump")]).exit_code == 0

        restore = create_app({"SECRET_KEY": "x", "DATABASE_URL": target}).test_cli_runner().invoke(
            args=["db", "restore", str(tmp_path / "a.dump")])

        assert restore.exit_code == 1
        assert "holds schema" in restore.output


def _empty(url: str) -> None:
    """Drop every table, as on a newly created database."""
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).unlink()
        return
    engine = make_engine(url)
    with engine.begin() as connection:
        for table in inspect(connection).get_table_names():
            connection.execute(text(f'DROP TABLE "{table}" CASCADE'))
    engine.dispose()


def _add_organisation_at_oldest_revision(url: str, name: str) -> None:
    # Plain SQL with the columns of the first migration: today's models may have more.
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO organisations (external_id, name, kind, country, extra, created_at) "
            "VALUES ('org-old', :name, 'supplier', 'NO', '{}', CURRENT_TIMESTAMP)"), {"name": name})
    engine.dispose()
