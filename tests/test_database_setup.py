"""The database set up for a web server: SQLite's pragmas, readers never waiting for a writer, and
reads that do not write (token use at most once a minute, match views that never fail a read)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from matchmaker.database import make_engine
from matchmaker.models import ApiToken, MatchView, Organisation
from matchmaker.models.types import utcnow
from matchmaker.services import activity
from matchmaker.services.accounts import hash_token

SENSOR = "A radar sensor that detects falls at night in patient rooms and alerts the nurse on duty."
FALLS = "Older patients fall at night in their rooms; we want to detect falls early and alert the nurse."


@pytest.fixture
def fresh_engine(database_url):
    """An engine of its own, so that its connections are new ones."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.mark.only_on("sqlite")
def test_sqlite_connections_are_set_up_for_a_web_server(fresh_engine):
    with fresh_engine.connect() as conn:
        pragma = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                  for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous", "mmap_size")}
    assert pragma["journal_mode"] == "wal"
    assert 5000 <= pragma["busy_timeout"] <= 10000
    assert pragma["foreign_keys"] == 1
    assert pragma["synchronous"] == 1  # NORMAL
    assert pragma["mmap_size"] >= 256 << 20  # pages read through a memory map


def test_a_read_does_not_wait_for_an_open_write_transaction(fresh_engine):
    writer = fresh_engine.connect()
    try:
        if fresh_engine.dialect.name == "sqlite":
            # The strongest lock SQLite has; without WAL it would shut every reader out.
            writer.exec_driver_sql("COMMIT")  # the begin event's BEGIN
            writer.exec_driver_sql("BEGIN EXCLUSIVE")
        written = Session(bind=writer)
        written.add(Organisation(kind="supplier", name="Uncommitted AS", extra={}))
        written.flush()
        started = time.monotonic()
        with fresh_engine.connect() as reader:
            names = reader.execute(text("SELECT name FROM organisations")).scalars().all()
        assert time.monotonic() - started < 1
        assert "Uncommitted AS" not in names
    finally:
        writer.rollback()
        writer.close()


# --- no write on a plain read -----------------------------------------------------------------

@pytest.fixture
def token_updates(connection):
    """Counts the statements that write api_tokens.last_used_at."""
    seen = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            seen.append(statement)

    event.listen(connection.engine, "before_cursor_execute", count)
    yield seen
    event.remove(connection.engine, "before_cursor_execute", count)


def test_token_use_is_written_at_most_once_a_minute(client, make, db, token_updates):
    plain = make.token(make.user(kind="supplier"))
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/needs", headers=headers).status_code == 200
    assert client.get("/api/v1/needs", headers=headers).status_code == 200
    assert len(token_updates) == 1
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)))
    db.refresh(token)
    assert token.last_used_at is not None
    # A minute later the next request writes it again.
    token.last_used_at = utcnow() - timedelta(seconds=61)
    db.commit()
    token_updates.clear()
    assert client.get("/api/v1/needs", headers=headers).status_code == 200
    assert len(token_updates) == 1
    db.refresh(token)
    assert utcnow() - token.last_used_at.replace(tzinfo=utcnow().tzinfo) < timedelta(seconds=30)


def test_a_failing_match_view_write_still_answers_with_the_matches(api, make, db, index, monkeypatch, caplog):
    need = index(make.need(title="Falls", description=FALLS))
    index(make.capability(description=SENSOR))
    real_fields = activity.match_view_fields
    # A value the database refuses (a check constraint), so the write fails in the database itself.
    monkeypatch.setattr(activity, "match_view_fields", lambda *args: real_fields(*args) | {"mode": "refused"})
    client = api.as_user(make.user(need.organisation))
    with caplog.at_level(logging.WARNING, logger="matchmaker.database"):
        answer = client.get(f"/api/v1/needs/{need.id}/matches")
        text_answer = client.post("/api/v1/match", json={"text": "falls at night on the ward", "kind": "capability"})
    assert answer.status_code == 200 and len(answer.json["items"]) == 1
    assert text_answer.status_code == 200 and len(text_answer.json["items"]) == 1
    warnings = [record.getMessage() for record in caplog.records if record.name == "matchmaker.database"]
    assert len(warnings) == 2 and all(w.startswith("could not record match views: ") for w in warnings)
    assert db.scalars(select(MatchView)).all() == []
    # The request's own work was committed all the same: the next request is served as usual.
    monkeypatch.setattr(activity, "match_view_fields", real_fields)
    assert client.get(f"/api/v1/needs/{need.id}/matches").status_code == 200
    assert [(v.mode, v.profile_id) for v in db.scalars(select(MatchView))] == [("matches", need.id)]
