"""Who may see and do what in an arena, through the web client: a table of roles, pages and the
status each gets, and checks that refused actions leave the stored schedule untouched and that
meeting notes stay with the people in the meeting."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from icalendar import Calendar
from sqlalchemy import select

from matchmaker.models import Arena, ArenaParticipant, Arrival, Meeting, MeetingRating, User
from matchmaker.models.types import utcnow

SECRET = "SECRET-fall-sensor-pilot"  # the note of the meeting between a and x
PENDING_SECRET = "SECRET-pending-question"  # the note of b's unanswered request to x
OWN_NOTE = "Y-own-note-about-beds"  # the note of the bystander's own meeting


@dataclass
class World:
    arena: Arena
    users: dict[str, User | None]
    meeting: Meeting  # a <-> x, placed and published, with SECRET as note
    pending: Meeting  # b -> x, waiting for x, with PENDING_SECRET as note
    unplaced: Meeting  # c <-> x, accepted but not in the schedule
    unpublished: Meeting  # b <-> z, placed but not published
    waiting_registration: ArenaParticipant
    free_cell: tuple[int, int]

    def url(self, path: str) -> str:
        return f"/arenas/{self.arena.id}" + path.format(
            meeting=self.meeting.id, pending=self.pending.id, registration=self.waiting_registration.id)


@pytest.fixture
def world(make, db) -> World:
    arena = make.arena(slots=3, tables=2)
    a, b, c = (make.participant(arena, kind="supplier") for _ in range(3))
    x, y, z = (make.participant(arena, kind="clinical_department") for _ in range(3))
    waiting = make.participant(arena, kind="supplier", status="pending")
    slots, tables = arena.slots, arena.tables

    meeting = make.meeting(arena, a, x, note=SECRET)
    own = make.meeting(arena, c, y, note=OWN_NOTE)
    unpublished = make.meeting(arena, b, z)
    for placed, slot, table in ((meeting, slots[0], tables[0]), (own, slots[1], tables[0]),
                                (unpublished, slots[1], tables[1])):
        placed.place(slot, table)
    meeting.published_at = own.published_at = utcnow()
    db.commit()
    pending = make.meeting(arena, b, x, status="pending", note=PENDING_SECRET)
    unplaced = make.meeting(arena, c, x)

    users = {
        "anonymous": None,
        "outsider": make.user(kind="supplier"),  # could take part, but has not registered
        "waiting": waiting.user,  # registered, not approved yet
        "participant": a.user,  # in the published meeting
        "requester": b.user,  # asked x; the request waits for x
        "recipient": x.user,
        "bystander": y.user,  # approved participant, in none of the meetings above
        "organiser": make.user(arena.organiser),
        "other_organiser": make.user(kind="arena_organiser"),  # runs arenas, but not this one
        "admin": make.user(is_admin=True),
    }
    return World(arena, users, meeting, pending, unplaced, unpublished, waiting, (slots[2].id, tables[1].id))


def _sign_in(auth, world: World, role: str) -> None:
    user = world.users[role]
    if user is None:
        auth.logout()
    else:
        assert auth.login(user).status_code == 302


def _snapshot(db, world: World) -> dict:
    """Everything a refused organiser or participant action could have changed."""
    db.expire_all()
    meetings = db.scalars(select(Meeting).where(Meeting.arena_id == world.arena.id).order_by(Meeting.id))
    people = db.scalars(select(ArenaParticipant).where(ArenaParticipant.arena_id == world.arena.id)
                        .order_by(ArenaParticipant.id))
    arena = db.get(Arena, world.arena.id)
    return {
        "meetings": [(m.id, m.status, m.slot_id, m.table_id, m.locked, m.published_at, m.mutual, m.note,
                      m.response_note, m.unscheduled_reason, [s.slot_id for s in m.seats]) for m in meetings],
        "people": [(p.id, p.status) for p in people],
        "arena": (arena.schedule_published_at, arena.last_run, arena.title, len(arena.slots), len(arena.tables)),
        "arrivals": db.scalars(select(Arrival.participant_id).order_by(Arrival.participant_id)).all(),
        "ratings": db.scalars(select(MeetingRating.id)).all(),
    }


PARTICIPANT_PAGES = ["/people", "/requests", "/agenda", "/agenda.ics", "/availability", "/now", "/check-in.svg"]
ORGANISER_PAGES = ["/registrations", "/schedule", "/schedule.csv", "/print/tables", "/print/participants",
                   "/dashboard", "/edit", "/check-in"]
ORGANISER_ACTIONS = [
    ("/schedule/run", {}),
    ("/schedule/publish", {}),
    ("/meetings/{meeting}/move", "free_cell"),
    ("/meetings/{meeting}/lock", {}),
    ("/meetings/{meeting}/unlock", {}),
    ("/meetings/{meeting}/remove", {}),
    ("/registrations/{registration}", {"action": "approve"}),
    ("/check-in/people/{registration}/arrive", {}),
    ("/check-in/people/{registration}/undo", {}),
]

PAGE_CASES = (
    [(role, path, 403) for role in ("outsider", "waiting", "organiser") for path in PARTICIPANT_PAGES]
    + [(role, path, 403) for role in ("participant", "bystander", "other_organiser") for path in ORGANISER_PAGES]
    + [(role, path, 200) for role in ("organiser", "admin") for path in ORGANISER_PAGES]
    + [(role, path, 200) for role in ("participant", "bystander") for path in PARTICIPANT_PAGES]
    + [("anonymous", path, 302) for path in ("", *PARTICIPANT_PAGES, "/schedule")]
    + [(role, "", 200) for role in ("outsider", "participant", "other_organiser", "organiser")]
)


@pytest.mark.parametrize(("role", "path", "status"), PAGE_CASES)
def test_page_access(client, auth, world, role, path, status):
    _sign_in(auth, world, role)
    response = client.get(world.url(path))
    assert response.status_code == status, response.get_data(as_text=True)[-600:]
    if status == 302:
        assert "/login" in response.headers["Location"]


ACTION_CASES = (
    [(role, path, data, 403) for role in ("participant", "other_organiser", "waiting") for path, data in
     ORGANISER_ACTIONS]
    + [("anonymous", path, data, 302) for path, data in ORGANISER_ACTIONS[:3]]
    # Answering is for the recipient only; cancelling and marking attendance for the parties only.
    + [(role, "/meetings/{pending}/respond", {"action": "accept"}, 403)
       for role in ("requester", "bystander", "outsider", "participant", "organiser")]
    + [(role, "/meetings/{pending}/respond", {"action": "decline"}, 403) for role in ("requester", "bystander")]
    + [(role, "/meetings/{pending}/cancel", {}, 404) for role in ("bystander", "participant", "organiser")]
    + [(role, "/meetings/{meeting}/cancel", {}, 404) for role in ("bystander", "requester", "waiting")]
    + [(role, "/meetings/{meeting}/attendance", {"attendance": "no_show"}, 404) for role in ("bystander", "outsider")]
    # Rating is for the people in the meeting only, and checking in for the organisers.
    + [(role, "/meetings/{meeting}/rating", {"score": "4"}, 404) for role in ("bystander", "outsider", "organiser")]
)


@pytest.mark.parametrize(("role", "path", "data", "status"), ACTION_CASES)
def test_refused_actions_change_nothing(client, auth, db, world, role, path, data, status):
    if data == "free_cell":
        data = {"slot_id": world.free_cell[0], "table_id": world.free_cell[1]}
    before = _snapshot(db, world)
    _sign_in(auth, world, role)
    response = client.post(world.url(path), data=data)
    assert response.status_code == status, response.get_data(as_text=True)[-600:]
    assert _snapshot(db, world) == before


@pytest.mark.parametrize(("path", "data", "changed"), [
    ("/schedule/run", {}, lambda w: w.unplaced.slot_id is not None),
    ("/schedule/publish", {}, lambda w: w.unpublished.published_at is not None),
    ("/meetings/{meeting}/move", "free_cell", lambda w: (w.meeting.slot_id, w.meeting.table_id) == w.free_cell),
    ("/meetings/{meeting}/lock", {}, lambda w: w.meeting.locked),
    ("/meetings/{meeting}/remove", {}, lambda w: w.meeting.slot_id is None),
    ("/registrations/{registration}", {"action": "approve"}, lambda w: w.waiting_registration.status == "approved"),
])
def test_the_organiser_may_do_what_others_may_not(client, auth, db, world, path, data, changed):
    """The counterpart of the refusals above: the same requests work for the organiser."""
    if data == "free_cell":
        data = {"slot_id": world.free_cell[0], "table_id": world.free_cell[1]}
    _sign_in(auth, world, "organiser")
    assert client.post(world.url(path), data=data).status_code == 302
    db.expire_all()
    assert changed(world)


# --- the same table through the API ----------------------------------------------------------

API_PARTICIPANT_READS = ["/participants", "/recommendations", "/requests", "/agenda", "/agenda.ics", "/availability"]
API_ORGANISER_READS = ["/registrations", "/schedule", "/schedule.csv", "/stats"]
API_ORGANISER_ACTIONS = [(path.replace("/registrations/{registration}", "/registrations/{registration}/decision"),
                          {"decision": "approve"} if path.startswith("/registrations") else data)
                         # the API checks people in at /check-ins/{participant}, in the route-access walk
                         for path, data in ORGANISER_ACTIONS if not path.startswith("/check-in/")]

API_READ_CASES = (
    [(role, path, 403) for role in ("outsider", "waiting", "organiser") for path in API_PARTICIPANT_READS]
    + [(role, path, 403) for role in ("participant", "bystander", "other_organiser") for path in API_ORGANISER_READS]
    + [(role, path, 200) for role in ("organiser", "admin") for path in API_ORGANISER_READS]
    + [(role, path, 200) for role in ("participant", "bystander") for path in API_PARTICIPANT_READS]
    + [(role, "", 200) for role in ("outsider", "participant", "other_organiser", "organiser")]
)


def _api(api, world: World, role: str):
    return api.as_user(world.users[role])


@pytest.mark.parametrize(("role", "path", "status"), API_READ_CASES)
def test_api_access(api, world, role, path, status):
    response = _api(api, world, role).get("/api/v1" + world.url(path))
    assert response.status_code == status, response.get_data(as_text=True)[-600:]
    assert response.is_json or status == 200


API_ACTION_CASES = (
    [(role, path, data, 403) for role in ("participant", "other_organiser", "waiting") for path, data in
     API_ORGANISER_ACTIONS]
    + [(role, "/meetings/{pending}/answer", {"answer": "accept"}, 403)
       for role in ("requester", "bystander", "outsider", "participant", "organiser")]
    + [(role, "/meetings/{pending}/answer", {"answer": "decline"}, 403) for role in ("requester", "bystander")]
    + [(role, "/meetings/{pending}/cancel", None, 404) for role in ("bystander", "participant", "organiser")]
    + [(role, "/meetings/{meeting}/cancel", None, 404) for role in ("bystander", "requester", "waiting")]
)


@pytest.mark.parametrize(("role", "path", "data", "status"), API_ACTION_CASES)
def test_refused_api_actions_change_nothing(api, db, world, role, path, data, status):
    if data == "free_cell":
        data = {"slot_id": world.free_cell[0], "table_id": world.free_cell[1]}
    client = _api(api, world, role)
    before = _snapshot(db, world)
    response = client.post("/api/v1" + world.url(path), json=data)
    assert response.status_code == status, response.get_data(as_text=True)[-600:]
    assert response.json["error"]["message"]
    assert _snapshot(db, world) == before


@pytest.mark.parametrize(("path", "data", "changed"), [
    ("/schedule/run", {}, lambda w: w.unplaced.slot_id is not None),
    ("/schedule/publish", {}, lambda w: w.unpublished.published_at is not None),
    ("/meetings/{meeting}/move", "free_cell", lambda w: (w.meeting.slot_id, w.meeting.table_id) == w.free_cell),
    ("/meetings/{meeting}/lock", {}, lambda w: w.meeting.locked),
    ("/meetings/{meeting}/remove", {}, lambda w: w.meeting.slot_id is None),
    ("/registrations/{registration}/decision", {"decision": "approve"},
     lambda w: w.waiting_registration.status == "approved"),
])
def test_the_organiser_may_do_through_the_api_what_others_may_not(api, db, world, path, data, changed):
    if data == "free_cell":
        data = {"slot_id": world.free_cell[0], "table_id": world.free_cell[1]}
    response = _api(api, world, "organiser").post("/api/v1" + world.url(path), json=data)
    assert response.status_code == 200, response.json
    db.expire_all()
    assert changed(world)


# Setting the arena up and marking attendance: (role, method, path under the arena, body, status);
# "/new" stands for creating an arena, which has no arena in its path.
API_SETUP_CASES = (
    [(role, "PATCH", "", {"title": "Taken over"}, 403)
     for role in ("participant", "bystander", "outsider", "waiting", "other_organiser")]
    + [(role, "POST", "/new", {"title": "Ours"}, 403) for role in ("participant", "outsider", "waiting")]
    + [(role, "POST", "/meetings/{meeting}/attendance", {"attendance": "no_show"}, 404)
       for role in ("bystander", "outsider", "requester", "other_organiser")]
    + [("anonymous", method, path, {"title": "Taken over"}, 401)
       for method, path in (("PATCH", ""), ("POST", "/new"), ("POST", "/meetings/{meeting}/attendance"))]
)


@pytest.mark.parametrize(("role", "method", "path", "data", "status"), API_SETUP_CASES)
def test_refused_api_setup_changes_nothing(app, api, db, world, role, method, path, data, status):
    url = "/api/v1/arenas" if path == "/new" else "/api/v1" + world.url(path)
    signed_in = None if world.users[role] is None else _api(api, world, role)
    send, headers = (signed_in.client.open, signed_in.headers) if signed_in else (app.test_client().open, {})
    arenas = db.scalars(select(Arena.id)).all()
    before = _snapshot(db, world)
    response = send(url, method=method, json=data, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[-600:]
    assert response.json["error"]["message"]
    assert _snapshot(db, world) == before and db.scalars(select(Arena.id)).all() == arenas


@pytest.mark.parametrize("role", ["organiser", "admin"])
def test_the_organisers_may_change_the_arena_through_the_api(api, db, world, role):
    response = _api(api, world, role).patch("/api/v1" + world.url(""), json={"title": "Renamed by " + role})
    assert response.status_code == 200, response.json
    db.expire_all()
    assert db.get(Arena, world.arena.id).title == "Renamed by " + role


def test_api_notes_stay_with_the_people_in_the_meeting(api, world):
    bystander = _api(api, world, "bystander")
    for path in ("/requests", "/agenda", "/participants", "/agenda.ics"):
        text = bystander.get("/api/v1" + world.url(path)).get_data(as_text=True)
        assert SECRET not in text and PENDING_SECRET not in text, path
    assert OWN_NOTE in bystander.get("/api/v1" + world.url("/requests")).get_data(as_text=True)
    organiser = _api(api, world, "organiser")
    for path in ("/schedule", "/schedule.csv", "/registrations", "/stats"):
        assert SECRET not in organiser.get("/api/v1" + world.url(path)).get_data(as_text=True), path
    assert SECRET in _api(api, world, "participant").get("/api/v1" + world.url("/agenda")).get_data(as_text=True)


@pytest.mark.parametrize("role", ["outsider", "participant", "other_organiser"])
def test_draft_arenas_are_not_found_through_the_api(api, db, draft, role):
    arena = draft["arena"]
    client = api.as_user(draft[role])
    for path in DRAFT_PATHS:
        path = path.replace("/edit", "/stats").replace("/people", "/participants")
        assert client.get(f"/api/v1/arenas/{arena.id}{path}").status_code == 404, path
    assert client.post(f"/api/v1/arenas/{arena.id}/registration", json={}).status_code == 404
    assert "Secret draft arena" not in client.get("/api/v1/arenas").get_data(as_text=True)


def test_only_the_recipient_can_accept(client, auth, db, world):
    _sign_in(auth, world, "requester")
    assert client.post(world.url("/meetings/{pending}/respond"), data={"action": "accept"}).status_code == 403
    db.refresh(world.pending)
    assert world.pending.status == "pending"
    _sign_in(auth, world, "recipient")
    assert client.post(world.url("/meetings/{pending}/respond"), data={"action": "accept"}).status_code == 302
    db.refresh(world.pending)
    assert world.pending.status == "accepted"


def test_notes_stay_with_the_people_in_the_meeting(client, auth, world):
    _sign_in(auth, world, "bystander")
    for path in ("/requests", "/agenda", "/people"):
        page = client.get(world.url(path)).get_data(as_text=True)
        assert SECRET not in page and PENDING_SECRET not in page, path
    assert OWN_NOTE in client.get(world.url("/requests")).get_data(as_text=True)
    events = list(Calendar.from_ical(client.get(world.url("/agenda.ics")).data).walk("VEVENT"))
    assert len(events) == 1  # the bystander's own meeting, and only that
    assert OWN_NOTE in str(events[0]["description"])
    assert not any("SECRET" in str(value) for event in events for value in event.values())

    # The parties do see it: the checks above are not passing for want of a note to show.
    _sign_in(auth, world, "participant")
    assert SECRET in client.get(world.url("/requests")).get_data(as_text=True)
    events = list(Calendar.from_ical(client.get(world.url("/agenda.ics")).data).walk("VEVENT"))
    assert [SECRET in str(event["description"]) for event in events] == [True]
    _sign_in(auth, world, "recipient")
    assert PENDING_SECRET in client.get(world.url("/requests")).get_data(as_text=True)


def test_organiser_sees_the_grid(client, auth, world):
    _sign_in(auth, world, "organiser")
    page = client.get(world.url(f"/schedule?meeting={world.meeting.id}")).get_data(as_text=True)
    for role in ("participant", "recipient", "bystander"):
        assert world.users[role].name in page
    assert "Table 1" in page and "Table 2" in page
    csv_text = client.get(world.url("/schedule.csv")).get_data(as_text=True)
    assert world.users["participant"].name in csv_text


def test_meetings_of_another_arena_are_not_found_here(client, auth, make, db, world):
    """An organiser cannot reach another arena's meeting through their own arena's address."""
    other_arena = make.arena(slots=2, tables=1)
    foreign = make.meeting(other_arena, make.participant(other_arena, kind="supplier"),
                           make.participant(other_arena, kind="clinical_department"))
    before = _snapshot(db, world)
    _sign_in(auth, world, "organiser")
    for action in ("move", "lock", "remove"):
        response = client.post(world.url(f"/meetings/{foreign.id}/{action}"),
                               data={"slot_id": world.free_cell[0], "table_id": world.free_cell[1]})
        assert response.status_code == 404
    assert client.get(world.url(f"/schedule?meeting={foreign.id}")).status_code == 404
    db.refresh(foreign)
    assert foreign.slot_id is None and not foreign.locked
    assert _snapshot(db, world) == before


# --- draft arenas ----------------------------------------------------------------------------

DRAFT_PATHS = ["", "/people", "/requests", "/agenda", "/agenda.ics", "/availability", "/registrations", "/schedule",
               "/dashboard", "/edit"]


@pytest.fixture
def draft(make):
    arena = make.arena(status="draft", title="Secret draft arena")
    return {
        "arena": arena,
        "outsider": make.user(kind="supplier"),
        "participant": make.participant(arena, kind="supplier").user,  # registered before it went back to draft
        "other_organiser": make.user(kind="arena_organiser"),
        "organiser": make.user(arena.organiser),
    }


DRAFT_REQUESTS = [("GET", path) for path in DRAFT_PATHS] + [("POST", "/register")]


@pytest.mark.parametrize(("method", "path"), DRAFT_REQUESTS)
@pytest.mark.parametrize("role", ["outsider", "participant", "other_organiser"])
def test_draft_arenas_are_not_found_by_others(client, auth, db, draft, role, method, path):
    """The 404 page itself must render, arena menu and all, without looking the arena up again."""
    arena = draft["arena"]
    registrations = select(ArenaParticipant.id).where(ArenaParticipant.arena_id == arena.id)
    before = db.scalars(registrations).all()
    auth.login(draft[role])
    response = client.open(f"/arenas/{arena.id}{path}", method=method,
                           data={"profile_id": ""} if method == "POST" else None)
    assert response.status_code == 404
    assert "Secret draft arena" not in response.get_data(as_text=True)
    assert db.scalars(registrations).all() == before


@pytest.mark.parametrize("role", ["outsider", "participant", "other_organiser"])
def test_draft_arenas_are_not_listed_for_others(client, auth, draft, role):
    auth.login(draft[role])
    page = client.get("/arenas")
    assert page.status_code == 200
    assert "Secret draft arena" not in page.get_data(as_text=True)


def test_organisers_see_their_draft_arena(client, auth, draft):
    auth.login(draft["organiser"])
    assert "Secret draft arena" in client.get("/arenas").get_data(as_text=True)
    for path in ("", "/schedule", "/registrations", "/edit"):
        assert client.get(f"/arenas/{draft['arena'].id}{path}").status_code == 200, path
