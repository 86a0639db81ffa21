"""Arena requests racing each other for real: separate requests in threads, each with its own
database connection and committed transactions, started together by a barrier. Two people
asking each other at the same instant end with one mutual meeting; acceptances at the same
instant never pass a participant's meeting cap. A request that reads and then writes is not
failed by another connection's commit in between."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from matchmaker import create_app
from matchmaker.database import get_database
from matchmaker.models import Meeting, User
from matchmaker.services import accounts
from matchmaker.services.arenas import requests
from tests import factories
from tests.databases import BACKENDS, migrated_database

# Long enough that, unguarded, both requests would read before either writes.
WINDOW_SECONDS = 0.3


@pytest.fixture(scope="module", params=BACKENDS)
def race_app(request, tmp_path_factory):
    """An app on a database of its own whose transactions commit for real, as a server's do."""
    with migrated_database(request.param, tmp_path_factory.mktemp("races")) as url:
        app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": url,
                          "WTF_CSRF_ENABLED": False, "MATCHING_ENCODER": "hashing", "MATCHING_SNAPSHOT_DIR": None})
        yield app
        get_database(app).engine.dispose()


@pytest.fixture
def make(race_app):
    session = Session(get_database(race_app).engine, expire_on_commit=False)
    yield factories.Factory(session)
    session.close()


def slowed(monkeypatch, name: str) -> None:
    """Widens the gap between a service's check and its write, so that the requests overlap."""
    real = getattr(requests, name)

    def slow(*args, **kwargs):
        result = real(*args, **kwargs)
        time.sleep(WINDOW_SECONDS)
        return result

    monkeypatch.setattr(requests, name, slow)


def at_once(app, *posts) -> list[int]:
    """Sends each (user, url, form) as its own request, all at the same moment; their statuses."""
    barrier = threading.Barrier(len(posts))
    statuses: list[int | None] = [None] * len(posts)

    def send(n: int, user, url: str, form: dict) -> None:
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        barrier.wait()
        statuses[n] = client.post(url, data=form).status_code

    threads = [threading.Thread(target=send, args=(n, *post)) for n, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return statuses


def meetings(make, arena) -> list[Meeting]:
    make.db.expire_all()
    return list(make.db.scalars(select(Meeting).where(Meeting.arena_id == arena.id).order_by(Meeting.id)))


def test_asking_each_other_at_once_makes_one_mutual_meeting(race_app, make, monkeypatch):
    arena = make.arena()
    supplier = make.participant(arena, kind="supplier")
    clinician = make.participant(arena, kind="clinical_department")
    slowed(monkeypatch, "open_meeting_between")
    url = f"/arenas/{arena.id}/requests"
    statuses = at_once(race_app, (supplier.user, url, {"recipient_id": clinician.id, "note": "From the supplier"}),
                       (clinician.user, url, {"recipient_id": supplier.id, "note": "From the clinic"}))
    assert statuses == [302, 302]
    [meeting] = meetings(make, arena)
    assert (meeting.status, meeting.mutual) == ("accepted", True)
    assert {meeting.note, meeting.response_note} == {"From the supplier", "From the clinic"}


def test_acceptances_at_once_keep_to_the_meeting_cap(race_app, make, monkeypatch):
    arena = make.arena()
    busy = make.participant(arena, kind="supplier")
    busy.max_meetings = 1
    make.db.commit()
    first, second = (make.participant(arena, kind="clinical_department") for _n in range(2))
    asked = [make.meeting(arena, busy, other, status="pending") for other in (first, second)]
    slowed(monkeypatch, "accepted_count")
    statuses = at_once(race_app, *[(m.recipient.user, f"/arenas/{arena.id}/meetings/{m.id}/respond",
                                    {"action": "accept"}) for m in asked])
    assert sorted(statuses) == [302, 409]
    assert sorted(m.status for m in meetings(make, arena)) == ["accepted", "pending"]


def test_one_person_accepting_twice_at_once_passes_no_cap(race_app, make, monkeypatch):
    """The same person in two tabs: two requests to them, a cap of one, both accepted at once."""
    arena = make.arena()
    busy = make.participant(arena, kind="clinical_department")
    busy.max_meetings = 1
    make.db.commit()
    asked = [make.meeting(arena, make.participant(arena, kind="supplier"), busy, status="pending") for _n in range(2)]
    slowed(monkeypatch, "accepted_count")
    statuses = at_once(race_app, *[(busy.user, f"/arenas/{arena.id}/meetings/{m.id}/respond", {"action": "accept"})
                                   for m in asked])
    assert sorted(statuses) == [302, 409]
    assert sorted(m.status for m in meetings(make, arena)) == ["accepted", "pending"]


def test_a_sign_in_is_not_failed_by_a_commit_between_its_read_and_its_write(race_app, make, monkeypatch):
    """Signing in reads the account, then writes when it signed in. Another connection that
    commits in between (the match views written in the background) once failed the sign-in on
    SQLite with "database is locked"; now that other write waits for the sign-in instead."""
    user, other = make.user(kind="supplier"), make.user(kind="supplier")
    real_authenticate = accounts.authenticate
    elsewhere = threading.Thread(target=rename, args=(race_app, other.id))

    def authenticate_then_let_another_commit(*args):
        found = real_authenticate(*args)
        elsewhere.start()
        time.sleep(WINDOW_SECONDS)
        return found

    monkeypatch.setattr(accounts, "authenticate", authenticate_then_let_another_commit)
    client = race_app.test_client()
    answer = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    elsewhere.join(30)
    assert answer.status_code == 302
    make.db.expire_all()
    assert make.db.get(User, user.id).last_login_at is not None
    assert make.db.get(User, other.id).name == "Renamed elsewhere"


def rename(app, user_id: int) -> None:
    """A short write outside a request, as the background ones are: it takes the lock up front."""
    with get_database(app).session_scope(immediate=True) as session:
        session.get(User, user_id).name = "Renamed elsewhere"


@pytest.fixture
def begins(race_app):
    """The BEGIN statements the app's connections send."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if statement.startswith("BEGIN"):
            seen.append(statement)

    engine = get_database(race_app).engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


@pytest.mark.only_on("sqlite")
def test_a_change_takes_the_write_lock_up_front_and_a_search_sent_as_a_post_does_not(race_app, make, begins):
    user = make.user(kind="supplier")
    headers = {"Authorization": f"Bearer {make.token(user)}"}
    client = race_app.test_client()
    begins.clear()  # the factory's own
    assert client.post("/login", data={"email": user.email, "password": factories.PASSWORD}).status_code == 302
    assert begins == ["BEGIN IMMEDIATE"]
    begins.clear()
    assert client.get("/notifications").status_code == 200  # marks what it shows as read
    assert begins == ["BEGIN IMMEDIATE"]
    client.get("/api/v1/needs", headers=headers)  # writes when the token was first used
    begins.clear()
    answer = client.post("/api/v1/match", json={"text": "falls at night on the ward", "kind": "need"}, headers=headers)
    assert answer.status_code == 200
    assert begins and "BEGIN IMMEDIATE" not in begins
