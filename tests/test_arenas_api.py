"""Arenas through the JSON API: each operation's happy path, its refusals (which change nothing),
validation errors with their fields, the calendar file, and the scheduler and manual schedule
changes over the API."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import timedelta

import pytest
import schemathesis
from icalendar import Calendar
from sqlalchemy import select

from matchmaker.models import Arena, ArenaParticipant, Meeting, Notification, User
from matchmaker.models.types import utcnow
from tests.test_route_access import changed_tables, snapshot

SECRET = "SECRET-fall-sensor-pilot"  # the note of the published meeting between a and x


@dataclass
class World:
    arena: Arena
    users: dict[str, User]
    people: dict[str, ArenaParticipant]
    meeting: Meeting  # a <-> x, placed in slot 0 at table 0 and published, with SECRET as note
    pending: Meeting  # b -> x, waiting for x
    unplaced: Meeting  # b <-> y, accepted, not in the schedule

    def url(self, path: str = "", **ids) -> str:
        return f"/api/v1/arenas/{self.arena.id}" + path.format(
            meeting=self.meeting.id, pending=self.pending.id, unplaced=self.unplaced.id, **ids)


@pytest.fixture
def world(make, db) -> World:
    arena = make.arena(slots=4, tables=2)
    people = {name: make.participant(arena, kind="supplier") for name in ("a", "b")}
    people |= {name: make.participant(arena, kind="clinical_department") for name in ("x", "y")}
    people["waiting"] = make.participant(arena, kind="supplier", status="pending")
    meeting = make.meeting(arena, people["a"], people["x"], note=SECRET)
    meeting.place(arena.slots[0], arena.tables[0])
    meeting.published_at = utcnow()
    db.commit()
    pending = make.meeting(arena, people["b"], people["x"], status="pending", note="Shall we talk?")
    unplaced = make.meeting(arena, people["b"], people["y"])
    users = {name: person.user for name, person in people.items()}
    users |= {"outsider": make.user(kind="supplier"), "organiser": make.user(arena.organiser),
              "other_organiser": make.user(kind="arena_organiser"), "admin": make.user(is_admin=True)}
    return World(arena, users, people, meeting, pending, unplaced)


@pytest.fixture
def as_(api, world):
    """An API client acting as one of the world's people, by role; each role's token is made up
    front, so that a refused request's snapshot sees no new token."""
    clients = {role: api.as_user(user) for role, user in world.users.items()}
    return clients.__getitem__


def refused(db, send, status: int, field: str | None = None):
    """Sends a request that must be refused with this status, with a JSON error naming the field
    if one is given, and with nothing stored."""
    before = snapshot(db)
    response = send()
    assert response.status_code == status, response.get_data(as_text=True)[-500:]
    assert response.json["error"]["message"]
    if field:
        assert field in response.json["error"]["fields"], response.json
    db.expire_all()
    assert not changed_tables(before, snapshot(db))
    return response


# --- arenas, registration, availability --------------------------------------------------------

def test_arenas_are_listed_and_read_with_your_own_registration(make, as_, world):
    draft = make.arena(organiser=world.arena.organiser, status="draft", title="Secret draft arena")
    listed = as_("a").get("/api/v1/arenas")
    assert listed.status_code == 200
    titles = [item["title"] for item in listed.json["items"]]
    assert world.arena.title in titles and "Secret draft arena" not in titles
    detail = as_("a").get(world.url()).json
    assert detail["me"]["id"] == world.people["a"].id and detail["me"]["status"] == "approved"
    assert (len(detail["slots"]), len(detail["tables"]), detail["is_organiser"], detail["can_take_part"]) == (
        4, 2, False, True)
    assert as_("outsider").get(world.url()).json["me"] is None
    assert as_("a").get(f"/api/v1/arenas/{draft.id}").status_code == 404
    assert as_("organiser").get(f"/api/v1/arenas/{draft.id}").json["is_organiser"] is True
    assert "Secret draft arena" in as_("organiser").get("/api/v1/arenas").get_data(as_text=True)


def test_register_with_an_own_profile_and_change_the_registration(make, db, as_, world):
    outsider = world.users["outsider"]
    product = make.capability(outsider.organisation)
    response = as_("outsider").post(world.url("/registration"), json={"profile_id": product.id})
    assert response.status_code == 201, response.json
    assert (response.json["status"], response.json["profile_id"], response.json["group"]) == (
        "pending", product.id, "supplier")
    stored = db.scalar(select(ArenaParticipant).where(ArenaParticipant.user_id == outsider.id))
    assert stored.status == "pending" and stored.profile_id == product.id

    changed = as_("outsider").patch(world.url("/registration"), json={"max_meetings": 5})
    assert changed.status_code == 200
    assert (changed.json["max_meetings"], changed.json["profile_id"]) == (5, product.id)  # left out: kept
    cleared = as_("outsider").patch(world.url("/registration"), json={"profile_id": None})
    assert (cleared.json["max_meetings"], cleared.json["profile_id"]) == (5, None)


def test_registration_refusals_change_nothing(make, db, as_, world):
    others_product = make.capability(world.users["a"].organisation)
    refused(db, lambda: as_("outsider").post(world.url("/registration"), json={"profile_id": others_product.id}),
            422, "profile_id")
    refused(db, lambda: as_("a").post(world.url("/registration"), json={}), 409)  # already registered
    refused(db, lambda: as_("organiser").post(world.url("/registration"), json={}), 403)  # organisers run it
    refused(db, lambda: as_("outsider").post(world.url("/registration"), json={"profile": 1}), 422, "profile")
    refused(db, lambda: as_("outsider").post(world.url("/registration"), data="profile_id=1"), 400)
    refused(db, lambda: as_("outsider").patch(world.url("/registration"), json={"max_meetings": 3}), 403)
    refused(db, lambda: as_("a").patch(world.url("/registration"), json={"max_meetings": 0}), 422, "max_meetings")
    refused(db, lambda: as_("a").post("/api/v1/arenas/999999/registration", json={}), 404)


def test_availability_is_read_and_set(db, as_, world):
    slots = [slot.id for slot in world.arena.slots]
    assert as_("a").get(world.url("/availability")).json["available_slot_ids"] == slots
    response = as_("a").put(world.url("/availability"), json={"available_slot_ids": slots[1:3]})
    assert response.status_code == 200
    assert response.json["available_slot_ids"] == slots[1:3]
    db.expire_all()
    assert db.get(ArenaParticipant, world.people["a"].id).unavailable_slot_ids == [slots[0], slots[3]]


def test_availability_refusals_change_nothing(make, db, as_, world):
    foreign_slot = make.arena(slots=1).slots[0].id
    refused(db, lambda: as_("a").put(world.url("/availability"), json={"available_slot_ids": [foreign_slot]}),
            422, "available_slot_ids")
    refused(db, lambda: as_("a").put(world.url("/availability"), json={"available_slot_ids": "all"}),
            422, "available_slot_ids")
    refused(db, lambda: as_("a").put(world.url("/availability"), json={}), 422, "available_slot_ids")
    for role in ("waiting", "outsider", "organiser"):
        refused(db, lambda role=role: as_(role).put(world.url("/availability"), json={"available_slot_ids": []}),
                403)
        assert as_(role).get(world.url("/availability")).status_code == 403


# --- people, recommendations, requests ---------------------------------------------------------

def test_participants_show_whom_you_already_have_a_meeting_with(as_, world):
    items = as_("b").get(world.url("/participants")).json["items"]
    flags = {item["id"]: item["has_open_request"] for item in items}
    people = world.people
    assert flags == {people["a"].id: False, people["x"].id: True, people["y"].id: True}
    assert as_("waiting").get(world.url("/participants")).status_code == 403


def test_recommendations_come_from_the_profiles(make, db, index, as_, world):
    a, y = world.people["a"], world.people["y"]
    a.profile = make.capability(a.organisation, title="Radar that detects falls at night in wards")
    y.profile = make.need(y.organisation, title="Patients fall at night in the geriatric ward")
    db.commit()
    index(a.profile, y.profile)
    items = as_("a").get(world.url("/recommendations")).json["items"]
    assert [item["participant"]["id"] for item in items] == [y.id]  # x is taken: a meets x already
    assert 0 < items[0]["score"] <= 1 and items[0]["strength"]
    assert as_("outsider").get(world.url("/recommendations")).status_code == 403


def test_request_answer_and_cancel_a_meeting(db, as_, world):
    a, y = world.people["a"], world.people["y"]
    asked = as_("a").post(world.url("/requests"), json={"recipient_id": y.id, "note": "About night falls"})
    assert asked.status_code == 201, asked.json
    assert (asked.json["status"], asked.json["requester_id"], asked.json["awaits_your_answer"]) == (
        "pending", a.id, False)
    incoming = {m["id"]: m for m in as_("y").get(world.url("/requests")).json["items"]}
    assert incoming[asked.json["id"]]["awaits_your_answer"] is True
    assert incoming[asked.json["id"]]["note"] == "About night falls"

    answer = world.url("/meetings/{id}/answer", id=asked.json["id"])
    refused(db, lambda: as_("a").post(answer, json={"answer": "accept"}), 403)  # only the recipient answers
    accepted = as_("y").post(answer, json={"answer": "accept", "note": "Gladly"})
    assert (accepted.status_code, accepted.json["status"], accepted.json["response_note"]) == (
        200, "accepted", "Gladly")
    refused(db, lambda: as_("y").post(answer, json={"answer": "decline"}), 409)  # answered already

    cancel = world.url("/meetings/{id}/cancel", id=asked.json["id"])
    refused(db, lambda: as_("b").post(cancel), 404)  # someone else's meeting
    assert as_("a").post(cancel).json["status"] == "cancelled"
    refused(db, lambda: as_("a").post(cancel), 409)
    assert db.get(Meeting, asked.json["id"]).status == "cancelled"


def test_declining_a_request_tells_the_requester(db, as_, world):
    declined = as_("x").post(world.url("/meetings/{pending}/answer"), json={"answer": "decline", "note": "Full"})
    assert declined.json["status"] == "declined"
    told = db.scalars(select(Notification).where(Notification.user_id == world.users["b"].id)).all()
    assert [n.kind for n in told] == ["meeting_declined"]


def test_asking_someone_who_asked_you_accepts_their_request(as_, world):
    response = as_("x").post(world.url("/requests"), json={"recipient_id": world.people["b"].id})
    assert response.status_code == 201
    assert (response.json["id"], response.json["status"], response.json["mutual"]) == (
        world.pending.id, "accepted", True)


def test_request_refusals_change_nothing(make, db, as_, world):
    a, b, y = world.people["a"], world.people["b"], world.people["y"]
    colleague = make.participant(world.arena, user=make.user(a.user.organisation))
    stranger = make.participant(make.arena(), kind="clinical_department")
    send = lambda role, body: lambda: as_(role).post(world.url("/requests"), json=body)  # noqa: E731
    refused(db, send("a", {}), 422, "recipient_id")
    refused(db, send("a", {"recipient_id": y.id, "note": "x" * 1001}), 422, "note")
    refused(db, send("a", {"recipient_id": y.id, "colour": "blue"}), 422, "colour")
    refused(db, send("a", {"recipient_id": y.id, "third_id": y.id}), 422, "third_id")
    refused(db, send("a", {"recipient_id": colleague.id}), 422, "recipient_id")  # the same organisation
    refused(db, send("a", {"recipient_id": b.id}), 403)  # suppliers do not book each other here
    refused(db, send("a", {"recipient_id": stranger.id}), 404)  # another arena's participant
    refused(db, send("b", {"recipient_id": y.id}), 409)  # they have a meeting already
    refused(db, send("waiting", {"recipient_id": y.id}), 403)
    refused(db, send("outsider", {"recipient_id": y.id}), 403)


# --- the agenda ---------------------------------------------------------------------------------

def test_agenda_as_json_and_as_a_calendar_file(as_, world):
    agenda = as_("a").get(world.url("/agenda")).json
    assert [(m["id"], m["note"], m["table"]["name"]) for m in agenda["meetings"]] == [
        (world.meeting.id, SECRET, "Table 1")]
    waiting = as_("b").get(world.url("/agenda")).json
    assert (waiting["meetings"], [m["id"] for m in waiting["waiting"]]) == ([], [world.unplaced.id])

    calendar = as_("a").get(world.url("/agenda.ics"))
    assert calendar.status_code == 200 and calendar.mimetype == "text/calendar"
    assert "attachment" in calendar.headers["Content-Disposition"]
    events = list(Calendar.from_ical(calendar.data).walk("VEVENT"))
    assert len(events) == 1 and SECRET in str(events[0]["description"])
    assert not list(Calendar.from_ical(as_("y").get(world.url("/agenda.ics")).data).walk("VEVENT"))


@pytest.mark.parametrize("role", ["outsider", "waiting", "organiser"])
def test_only_approved_participants_have_an_agenda(as_, world, role):
    for path in ("/agenda", "/agenda.ics", "/requests", "/participants"):
        response = as_(role).get(world.url(path))
        assert response.status_code == 403 and response.is_json, path


# --- the organiser's side -----------------------------------------------------------------------

def test_organiser_approves_and_declines_registrations(db, as_, world):
    waiting = world.people["waiting"]
    listed = as_("organiser").get(world.url("/registrations")).json["items"]
    assert {item["id"]: item["status"] for item in listed}[waiting.id] == "pending"
    decide = world.url("/registrations/{id}/decision", id=waiting.id)
    approved = as_("organiser").post(decide, json={"decision": "approve"})
    assert (approved.status_code, approved.json["status"]) == (200, "approved")
    db.expire_all()
    assert db.get(ArenaParticipant, waiting.id).status == "approved"
    assert as_("admin").post(decide, json={"decision": "decline"}).json["status"] == "declined"


def test_registration_decisions_refused_change_nothing(make, db, as_, world):
    decide = world.url("/registrations/{id}/decision", id=world.people["waiting"].id)
    refused(db, lambda: as_("organiser").post(decide, json={"decision": "maybe"}), 422, "decision")
    refused(db, lambda: as_("organiser").post(decide, json=["approve"]), 400)
    for role in ("a", "other_organiser", "waiting"):
        refused(db, lambda role=role: as_(role).post(decide, json={"decision": "approve"}), 403)
    other = make.participant(make.arena(organiser=world.arena.organiser), status="pending")
    refused(db, lambda: as_("organiser").post(world.url("/registrations/{id}/decision", id=other.id),
                                              json={"decision": "approve"}), 404)


def test_the_scheduler_places_meetings_without_double_booking(make, db, as_, world):
    """Three suppliers and three departments who all want to meet each other: more meetings than
    cells. What is placed never puts a person or a table in two meetings at once, nor anyone in a
    slot they are not available for."""
    arena = make.arena(organiser=world.arena.organiser, slots=4, tables=2)
    suppliers = [make.participant(arena, kind="supplier") for _ in range(3)]
    departments = [make.participant(arena, kind="clinical_department") for _ in range(3)]
    suppliers[0].unavailable_slot_ids = [arena.slots[0].id]
    db.commit()
    for supplier in suppliers:
        for department in departments:
            make.meeting(arena, supplier, department)
    run = as_("organiser").post(f"/api/v1/arenas/{arena.id}/schedule/run")
    assert run.status_code == 200, run.json
    assert (run.json["placed"], run.json["unscheduled"]) == (8, 1)  # 4 slots x 2 tables

    grid = as_("organiser").get(f"/api/v1/arenas/{arena.id}/schedule").json
    placed = grid["placed"]
    assert len(placed) == 8 and len(grid["unplaced"]) == 1 and grid["unplaced"][0]["unscheduled_reason"]
    assert len({(m["slot"]["id"], m["table"]["id"]) for m in placed}) == 8
    seats = Counter((m["slot"]["id"], p["id"]) for m in placed for p in m["participants"])
    assert max(seats.values()) == 1
    assert (arena.slots[0].id, suppliers[0].id) not in seats
    assert "note" not in placed[0]  # the notes are for the people in the meeting


def test_move_lock_and_remove_a_placed_meeting(db, as_, world):
    slots, tables = world.arena.slots, world.arena.tables
    move = world.url("/meetings/{meeting}/move")
    moved = as_("organiser").post(move, json={"slot_id": slots[2].id, "table_id": tables[1].id})
    assert moved.status_code == 200, moved.json
    assert (moved.json["slot"]["id"], moved.json["table"]["id"]) == (slots[2].id, tables[1].id)
    assert as_("organiser").post(world.url("/meetings/{meeting}/lock")).json["locked"] is True
    assert as_("organiser").post(world.url("/meetings/{meeting}/unlock")).json["locked"] is False
    removed = as_("organiser").post(world.url("/meetings/{meeting}/remove")).json
    assert (removed["slot"], removed["published"]) == (None, False)
    db.expire_all()
    assert db.get(Meeting, world.meeting.id).slot_id is None


def test_schedule_conflicts_are_409_and_change_nothing(make, db, as_, world):
    slots, tables = world.arena.slots, world.arena.tables
    world.unplaced.place(slots[1], tables[0])
    db.commit()
    move = world.url("/meetings/{meeting}/move")
    organiser = as_("organiser")
    refused(db, lambda: organiser.post(move, json={"slot_id": slots[1].id, "table_id": tables[0].id}), 409)
    world.people["a"].unavailable_slot_ids = [slots[3].id]
    db.commit()
    refused(db, lambda: organiser.post(move, json={"slot_id": slots[3].id, "table_id": tables[1].id}), 409)
    x_busy = make.meeting(world.arena, make.participant(world.arena, kind="supplier"), world.people["y"])
    x_busy.place(slots[2], tables[0])
    db.commit()
    refused(db, lambda: organiser.post(world.url("/meetings/{unplaced}/move"),
                                       json={"slot_id": slots[2].id, "table_id": tables[1].id}), 409)
    refused(db, lambda: organiser.post(world.url("/meetings/{pending}/lock")), 409)  # not placed


def test_schedule_changes_validate_their_fields(make, db, as_, world):
    foreign = make.arena(slots=1, tables=1)
    move = world.url("/meetings/{meeting}/move")
    refused(db, lambda: as_("organiser").post(move, json={"slot_id": foreign.slots[0].id,
                                                          "table_id": world.arena.tables[1].id}), 422, "slot_id")
    refused(db, lambda: as_("organiser").post(move, json={"slot_id": "soon"}), 422, "table_id")
    foreign_meeting = make.meeting(foreign, make.participant(foreign), make.participant(foreign, kind="health_trust"))
    refused(db, lambda: as_("organiser").post(world.url("/meetings/{id}/lock", id=foreign_meeting.id)), 404)


ORGANISER_REQUESTS = [("GET", "/registrations"), ("GET", "/schedule"), ("GET", "/schedule.csv"), ("GET", "/stats"),
                      ("POST", "/schedule/run"), ("POST", "/schedule/publish"), ("POST", "/meetings/{meeting}/lock"),
                      ("POST", "/meetings/{meeting}/unlock"), ("POST", "/meetings/{meeting}/remove")]


@pytest.mark.parametrize("role", ["a", "x", "waiting", "outsider", "other_organiser"])
def test_organiser_operations_refuse_everyone_else(db, as_, world, role):
    client = as_(role)
    for method, path in ORGANISER_REQUESTS:
        refused(db, lambda method=method, path=path: getattr(client, method.lower())(world.url(path)), 403)


def test_publish_puts_placed_meetings_into_the_agendas(db, as_, world):
    world.unplaced.place(world.arena.slots[1], world.arena.tables[0])
    db.commit()
    assert as_("y").get(world.url("/agenda")).json["meetings"] == []
    published = as_("organiser").post(world.url("/schedule/publish"))
    assert published.json == {"published": 1}
    assert [m["id"] for m in as_("y").get(world.url("/agenda")).json["meetings"]] == [world.unplaced.id]
    assert as_("organiser").post(world.url("/schedule/publish")).json == {"published": 0}


def test_schedule_export_and_figures(as_, world):
    export = as_("organiser").get(world.url("/schedule.csv"))
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = export.get_data(as_text=True).strip().splitlines()
    assert len(rows) == 2 and world.users["a"].name in rows[1] and SECRET not in rows[1]
    figures = as_("admin").get(world.url("/stats")).json
    assert figures["requests"]["accepted"] == 2 and figures["requests"]["pending"] == 1
    assert dict((step["stage"], step["count"]) for step in figures["funnel"])["published"] == 1
    assert figures["registrations"]["supplier"] == {"approved": 2, "pending": 1}
    assert (figures["approved"], figures["without_meeting"]) == (4, 2)  # b and y have no placed meeting


def test_a_draft_arena_is_not_found_by_others(make, db, as_, world):
    draft = make.arena(organiser=world.arena.organiser, status="draft")
    for role in ("a", "outsider", "other_organiser"):
        for path in ("", "/agenda", "/schedule", "/stats", "/registrations"):
            assert as_(role).get(f"/api/v1/arenas/{draft.id}{path}").status_code == 404, (role, path)
        refused(db, lambda role=role: as_(role).post(f"/api/v1/arenas/{draft.id}/registration", json={}), 404)


# --- the answers and the OpenAPI document -------------------------------------------------------

HAPPY_PATHS = [  # (role, method, documented path, body), in an order in which each succeeds
    ("a", "GET", "/arenas", None), ("a", "GET", "/arenas/{arena_id}", None),
    ("a", "GET", "/arenas/{arena_id}/availability", None),
    ("a", "PUT", "/arenas/{arena_id}/availability", "every slot"),
    ("a", "GET", "/arenas/{arena_id}/participants", None), ("a", "GET", "/arenas/{arena_id}/recommendations", None),
    ("a", "POST", "/arenas/{arena_id}/requests", {"recipient_id": "y"}),
    ("a", "GET", "/arenas/{arena_id}/requests", None), ("a", "GET", "/arenas/{arena_id}/agenda", None),
    ("a", "GET", "/arenas/{arena_id}/agenda.ics", None),
    ("a", "POST", "/arenas/{arena_id}/meetings/{meeting_id}/attendance", "held"),
    ("x", "POST", "/arenas/{arena_id}/meetings/{meeting_id}/answer", {"answer": "accept"}),
    ("b", "POST", "/arenas/{arena_id}/meetings/{meeting_id}/cancel", None),
    ("outsider", "POST", "/arenas/{arena_id}/registration", {}),
    ("outsider", "PATCH", "/arenas/{arena_id}/registration", {"max_meetings": 4}),
    ("organiser", "POST", "/arenas", {"title": "New arena", "tables": ["A"], "sessions": [
        {"day": "2030-09-01", "starts": "09:00", "ends": "10:00"}]}),
    ("organiser", "PATCH", "/arenas/{arena_id}", {"title": "Renamed arena"}),
    ("organiser", "GET", "/arenas/{arena_id}/registrations", None),
    ("organiser", "POST", "/arenas/{arena_id}/registrations/{participant_id}/decision", {"decision": "approve"}),
    ("organiser", "POST", "/arenas/{arena_id}/schedule/run", None),
    ("organiser", "GET", "/arenas/{arena_id}/schedule", None),
    ("organiser", "POST", "/arenas/{arena_id}/meetings/{meeting_id}/lock", None),
    ("organiser", "POST", "/arenas/{arena_id}/meetings/{meeting_id}/unlock", None),
    ("organiser", "POST", "/arenas/{arena_id}/meetings/{meeting_id}/move", "free cell"),
    ("organiser", "POST", "/arenas/{arena_id}/meetings/{meeting_id}/remove", None),
    ("organiser", "POST", "/arenas/{arena_id}/schedule/publish", None),
    ("organiser", "GET", "/arenas/{arena_id}/schedule.csv", None),
    ("organiser", "GET", "/arenas/{arena_id}/stats", None),
]


@contextmanager
def _started(db, slot):
    """The slot starts an hour ago while inside, so its meeting can be marked; afterwards it
    follows the arena's sessions again, as the arena's changes expect."""
    planned, slot.starts_at = slot.starts_at, utcnow() - timedelta(hours=1)
    db.commit()
    yield
    slot.starts_at = planned
    db.commit()


# The arena's day (now and next, check-in, ratings) is checked against the document in test_event_day.py.
EVENT_DAY_OPERATIONS = {("GET", "/arenas/{arena_id}/now-and-next"),
                        ("POST", "/arenas/{arena_id}/check-ins/{participant_id}"),
                        ("DELETE", "/arenas/{arena_id}/check-ins/{participant_id}"),
                        ("PUT", "/arenas/{arena_id}/meetings/{meeting_id}/rating")}


def test_every_arena_operation_answers_as_documented(app, db, as_, world):
    """Successful answers, which the fuzz test rarely reaches, checked against the document."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    documented = {(method, path) for path, item in schema.raw_schema["paths"].items() if path.startswith("/arenas")
                  for method in (m.upper() for m in item)}
    assert documented - EVENT_DAY_OPERATIONS == {(method, path) for _role, method, path, _body in HAPPY_PATHS}
    ids = {"arena_id": world.arena.id, "participant_id": world.people["waiting"].id}
    for role, method, path, body in HAPPY_PATHS:
        ids["meeting_id"] = world.pending.id if role in ("x", "b") else world.meeting.id
        if body == "free cell":
            body = {"slot_id": world.arena.slots[3].id, "table_id": world.arena.tables[1].id}
        elif body == "every slot":
            body = {"available_slot_ids": [slot.id for slot in world.arena.slots]}
        elif body and "recipient_id" in body:
            body = {"recipient_id": world.people["y"].id}
        with _started(db, world.arena.slots[0]) if body == "held" else nullcontext():
            body = {"attendance": "held"} if body == "held" else body
            response = getattr(as_(role), method.lower())("/api/v1" + path.format(**ids), json=body)
        assert response.status_code < 300, (path, response.get_data(as_text=True)[-500:])
        schema[path][method].validate_response(response)
    with pytest.raises((AssertionError, BaseExceptionGroup)):  # the check can fail: the figures are no grid
        schema["/arenas/{arena_id}/schedule"]["GET"].validate_response(response)
