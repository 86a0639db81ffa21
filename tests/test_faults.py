"""Faults the service must survive: the database going away, a broken index snapshot, and an
import that dies halfway. scripts/drill_faults.py shows the same against a running gunicorn."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import uuid

import psycopg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from matchmaker import create_app
from matchmaker.cli import import_profiles
from matchmaker.database import get_database, get_session, make_engine
from matchmaker.matching.engine import MatchingEngine
from matchmaker.matching.runtime import get_encoder, get_engine
from matchmaker.models import IndexChange, Organisation, Profile, ProfileVector
from matchmaker.web.sign_in import public
from matchmaker.web.unavailable import is_unavailable

UNAVAILABLE = "The service is briefly unavailable, please try again in a minute."
FALLS = "Patients fall at night on the geriatric ward when they get up alone to go to the toilet."
SENSOR = "Radar sensor by the bed detects when a patient gets up at night and alerts the nurse before a fall."
INVOICE = "Invoice scanning software for accounting departments, with automatic booking of supplier bills."


def lost_connection() -> OperationalError:
    return OperationalError("SELECT 1", {}, psycopg.OperationalError("server closed the connection unexpectedly"))


def assert_unavailable_page(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert UNAVAILABLE in response.get_data(as_text=True)


def assert_unavailable_json(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert response.json["error"]["status"] == 503
    assert response.json["error"]["message"] == UNAVAILABLE


def raising(error: BaseException):
    def fail(*_args, **_kwargs):
        raise error
    return fail


def fail_queries(patch, error: BaseException) -> None:
    """Every query a session runs raises ``error`` (execute, scalar and scalars are separate
    ways in)."""
    for name in ("execute", "scalar", "scalars"):
        patch.setattr(Session, name, raising(error))


def unavailable_warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "matchmaker.web.unavailable" and r.levelno == logging.WARNING]


# --- the database cannot be reached -------------------------------------------------------------

def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_server_gives_503_page_and_json(caplog):
    """No PostgreSQL behind the URL at all: sign-in and the API both answer 503; the outage is
    logged once, when it starts."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                      "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/none",
                      "MATCHING_ENCODER": "hashing", "MATCHING_SNAPSHOT_DIR": None})
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        page = client.post("/login", data={"email": "a@example.org", "password": "whatever-password"},
                           headers={"Accept-Language": "en"})
        api = client.get("/api/v1/needs", headers={"Authorization": "Bearer mm_anything"})
    assert_unavailable_page(page)
    assert_unavailable_json(api)
    assert [r.getMessage()[:50] for r in unavailable_warnings(caplog)] == [
        "database unavailable (first at POST /login: Operat"]
    get_database(app).engine.dispose()


def test_lost_connection_gives_503_then_the_next_request_works(client, auth, api, make, monkeypatch, caplog):
    user = make.user(kind="clinical_department")
    as_user = api.as_user(user)
    auth.login(user)
    with monkeypatch.context() as patch, caplog.at_level(logging.WARNING):
        fail_queries(patch, lost_connection())
        assert_unavailable_page(client.get("/needs"))
        for _request in range(5):
            assert_unavailable_json(as_user.get("/api/v1/needs"))
    assert len(unavailable_warnings(caplog)) == 1
    with caplog.at_level(logging.WARNING):
        assert client.get("/needs").status_code == 200
        assert as_user.get("/api/v1/needs").status_code == 200
    # One warning when it starts, one when it ends; none for each refused request.
    warnings = [r.getMessage() for r in unavailable_warnings(caplog)]
    assert len(warnings) == 2
    assert warnings[0].startswith("database unavailable (first at GET /needs: OperationalError")
    assert warnings[1].startswith("database available again after ") and "6 requests were answered 503" in warnings[1]


def test_exhausted_pool_gives_503(api, make, monkeypatch):
    as_user = api.as_user(make.user())
    fail_queries(monkeypatch, PoolTimeout("pool limit"))
    assert_unavailable_json(as_user.get("/api/v1/needs"))


def test_lost_connection_at_commit_saves_nothing(api, make, db, monkeypatch):
    as_user = api.as_user(make.user(kind="clinical_department"))
    need = {"title": "Lost at commit", "description": "A need whose commit never reached the database.",
            "language": "en", "status": "published"}
    monkeypatch.setattr(Session, "commit", raising(lost_connection()))
    assert_unavailable_json(as_user.post("/api/v1/needs", json=need))
    monkeypatch.undo()
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Profile).where(Profile.title == "Lost at commit")) == 0


def test_other_database_errors_stay_errors(api, make, monkeypatch):
    """Bad data or a bug is not an outage: no "try again" for those."""
    as_user = api.as_user(make.user())
    broken = IntegrityError("INSERT", {}, psycopg.IntegrityError("duplicate key"))
    fail_queries(monkeypatch, broken)
    with pytest.raises(IntegrityError):
        as_user.get("/api/v1/needs")


def test_which_errors_count_as_unavailable():
    import sqlite3

    assert is_unavailable(lost_connection())
    assert is_unavailable(PoolTimeout("pool limit"))
    assert is_unavailable(OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked")))
    assert not is_unavailable(OperationalError("SELECT 1", {}, sqlite3.OperationalError("no such table: x")))
    assert not is_unavailable(IntegrityError("INSERT", {}, psycopg.IntegrityError("duplicate key")))


@pytest.fixture
def own_app(database_url):
    """An app with a pool of its own (not the test transaction), so connections can really break."""
    name = f"mm_fault_{uuid.uuid4().hex[:8]}"
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"{database_url}&application_name={name}",
                      "MATCHING_ENCODER": "hashing", "MATCHING_SNAPSHOT_DIR": None})

    @app.get("/drop-my-connection")
    @public  # open to anyone, so an anonymous request reaches the broken connection
    def drop_my_connection():
        get_session().execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        return "still here"

    app.config["TEST_APPLICATION_NAME"] = name
    yield app
    get_database(app).engine.dispose()


@pytest.mark.only_on("postgresql")  # it breaks real server connections
def test_connection_killed_mid_request_is_discarded(own_app):
    client = own_app.test_client()
    assert_unavailable_page(client.get("/drop-my-connection"))
    # An unknown token is a 401 only if the database answered.
    assert client.get("/api/v1/needs", headers={"Authorization": "Bearer mm_unknown"}).status_code == 401


@pytest.mark.only_on("postgresql")  # it breaks real server connections
def test_pooled_connections_killed_between_requests_are_replaced(own_app, database_url):
    client = own_app.test_client()
    token = {"Authorization": "Bearer mm_unknown"}
    assert client.get("/api/v1/needs", headers=token).status_code == 401
    admin = make_engine(database_url)
    with admin.begin() as connection:
        killed = connection.scalar(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                        "WHERE application_name = :name"),
                                   {"name": own_app.config["TEST_APPLICATION_NAME"]})
    admin.dispose()
    assert killed >= 1
    assert client.get("/api/v1/needs", headers=token).status_code == 401


# --- a missing or corrupt index snapshot -----------------------------------------------------------

@pytest.fixture
def falls_need(make, index):
    ward = make.organisation("clinical_department", name="Geriatric ward")
    need = index(make.need(ward, title="Night-time falls", description=FALLS))
    index(make.capability(title="BedWatch radar", description=SENSOR))
    index(make.capability(title="InvoiceBot", description=INVOICE))
    return need


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


CORRUPTIONS = {
    "vectors cut short": lambda snap: truncate(snap / "capability" / "vectors.npy"),
    "ids overwritten": lambda snap: (snap / "need" / "ids.npy").write_bytes(b"garbage"),
    "state not JSON": lambda snap: (snap / "state.json").write_text("{not json"),
    "state without position": lambda snap: (snap / "state.json").write_text("[]"),
    "index meta without dim": lambda snap: (snap / "need" / "meta.json").write_text("{}"),
    "state empty": lambda snap: (snap / "state.json").write_bytes(b""),
    "directory missing": lambda snap: shutil.rmtree(snap.parent),
}


@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_broken_snapshot_rebuilds_with_correct_matches(app, api, db, make, tmp_path, falls_need, corruption,
                                                       caplog):
    snapshot_dir = tmp_path / "index-cache"
    writer = MatchingEngine(get_encoder(app), snapshot_dir)
    writer.sync(db)
    CORRUPTIONS[corruption](writer.save_snapshot())
    app.config["MATCHING_SNAPSHOT_DIR"] = str(snapshot_dir)
    with caplog.at_level(logging.WARNING, logger="matchmaker.matching.engine"):
        response = api.as_user(make.user(falls_need.organisation)).get(f"/api/v1/needs/{falls_need.id}/matches")
    assert response.status_code == 200, response.json
    assert [item["profile"]["title"] for item in response.json["items"]][0] == "BedWatch radar"
    assert get_engine(app).sizes() == {"need": 1, "capability": 2}
    assert any("snapshot" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_unwritable_snapshot_folder_does_not_fail_matching(app, db, tmp_path, falls_need, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    engine = MatchingEngine(get_encoder(app), blocker / "index-cache", ann_threshold=1)
    with caplog.at_level(logging.WARNING, logger="matchmaker.matching.engine"):
        engine.sync(db)
    assert engine.sizes() == {"need": 1, "capability": 2}
    assert any("could not write the index snapshot" in r.getMessage() for r in caplog.records)


# --- an import that fails halfway ----------------------------------------------------------------

def write_records(path, count: int, bad_line: int | None = None):
    lines = [json.dumps({"kind": "organisation", "id": "org-bulk", "name": "Bulk ward",
                         "type": "clinical_department", "country": "NO"})]
    for n in range(count):
        lines.append(json.dumps({"kind": "need", "id": f"bulk-{n}", "organisation": "org-bulk",
                                 "title": f"Bulk need {n}", "description": f"{FALLS} Variant {n}.",
                                 "language": "en"}))
    if bad_line is not None:
        lines[bad_line - 1] = '{"kind": "need", "id": "cut-off", "title": '
    path.write_text("\n".join(lines) + "\n")
    return path


def database_counts(db) -> dict[str, int]:
    db.expire_all()
    return {model.__name__: db.scalar(select(func.count()).select_from(model))
            for model in (Organisation, Profile, ProfileVector, IndexChange)}


def test_bad_line_halfway_imports_nothing(app, db, tmp_path):
    before = database_counts(db)
    result = app.test_cli_runner().invoke(import_profiles, [str(write_records(tmp_path / "in.jsonl", 40, 21))])
    assert result.exit_code == 1
    assert "in.jsonl:line 21: not valid JSON" in result.output
    assert database_counts(db) == before


@pytest.mark.parametrize("failure", [RuntimeError("encoder crashed"), KeyboardInterrupt()])
def test_failure_while_embedding_imports_nothing(app, db, connection, tmp_path, monkeypatch, failure):
    """Rows are already written when the embedding of the second batch fails: all roll back."""
    path = write_records(tmp_path / "in.jsonl", 80)
    before = database_counts(db)
    encoder, calls, written = get_encoder(app), [], []
    real = encoder.encode_queries

    def encode_then_fail(texts):
        calls.append(len(texts))
        if len(calls) == 3:  # documents, then passages of the first batch, then the second batch
            # Asked on the import's own connection: it sees the rows the import has written so far.
            written.append(connection.scalar(select(func.count()).select_from(Profile)
                                             .where(Profile.external_id.like("bulk-%"))))
            raise failure
        return real(texts)

    monkeypatch.setattr(encoder, "encode_queries", encode_then_fail)
    # Ctrl-C becomes click's "Aborted!" with exit code 1, after the rollback.
    assert app.test_cli_runner().invoke(import_profiles, [str(path)]).exit_code != 0
    assert written == [80]
    assert database_counts(db) == before
