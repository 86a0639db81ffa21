"""Setting an arena up, changing it and marking attendance through the JSON API: the happy paths,
validation errors with their fields, refusals by role, and the schedule's conflicts; every refusal
stores nothing. The page's form shows the same conflicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from matchmaker.models import Arena, Meeting
from matchmaker.models.types import utcnow
from tests.test_arenas_api import as_, refused, world  # noqa: F401  (fixtures)
from tests.test_route_access import changed_tables, snapshot

NEW_ARENA = {
    "title": "Nordic health arena", "venue": "Oslo Spektrum", "description": "Two sessions of short meetings.",
    "timezone": "Europe/Oslo", "meeting_minutes": 20,
    "sessions": [{"day": "2030-03-12", "starts": "10:30", "ends": "11:30"},
                 {"day": "2030-03-12", "starts": "09:00", "ends": "10:00"}],
    "tables": ["Blue", "Green", "Red"], "three_seat_tables": 1, "request_deadline": "2030-03-10T12:00:00",
    "registration_deadline": "2030-03-01T12:00:00+00:00", "max_meetings": 6,
    "allowed_pairs": ["health-supplier"], "status": "open",
}


def _arenas(db) -> int:
    return len(db.scalars(select(Arena.id)).all())


# --- creating ----------------------------------------------------------------------------------

def test_an_organiser_creates_an_arena_with_sessions_breaks_and_tables(db, as_, world):  # noqa: F811
    response = as_("other_organiser").post("/api/v1/arenas", json=NEW_ARENA)
    assert response.status_code == 201, response.json
    created = response.json
    assert response.headers["Location"].endswith(f"/api/v1/arenas/{created['id']}")
    assert (created["title"], created["venue"], created["status"], created["is_organiser"]) == (
        "Nordic health arena", "Oslo Spektrum", "open", True)
    assert len(created["slots"]) == 6  # three before the break, three after
    assert created["slots"][0]["start"].startswith("2030-03-12T08:00")  # 09:00 in Oslo
    assert [(t["name"], t["capacity"]) for t in created["tables"]] == [("Blue", 3), ("Green", 2), ("Red", 2)]
    assert created["allowed_pairs"] == [["health", "supplier"]] and created["max_meetings"] == 6
    assert created["request_deadline"].startswith("2030-03-10T11:00")  # noon in Oslo
    assert created["registration_deadline"].startswith("2030-03-01T12:00")  # an offset is kept
    arena = db.get(Arena, created["id"])
    assert arena.organiser_id == world.users["other_organiser"].organisation_id


def test_an_arena_created_with_the_least_takes_the_forms_defaults(as_, world):  # noqa: F811
    response = as_("organiser").post("/api/v1/arenas", json={
        "title": "Quick arena", "sessions": [{"day": "2030-05-01", "starts": "09:00", "ends": "10:00"}],
        "tables": ["A"]})
    assert response.status_code == 201, response.json
    created = response.json
    assert (created["status"], created["timezone"], created["meeting_minutes"]) == ("draft", "Europe/Oslo", 20)
    assert len(created["slots"]) == 3 and created["tables"][0]["capacity"] == 2
    assert created["allowed_pairs"] == [["health", "supplier"], ["funder", "supplier"], ["funder", "health"]]


def _session(starts: str, ends: str, day: str = "2030-03-12") -> dict:
    return {"day": day, "starts": starts, "ends": ends}


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": ""}, "title"),
    ({"title": None}, "title"),
    ({"meeting_minutes": 3}, "meeting_minutes"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"sessions": []}, "sessions"),
    ({"sessions": [_session("11:00", "10:00")]}, "sessions"),
    ({"sessions": [_session("09:00", "10:00"), _session("09:30", "11:00")]}, "sessions"),
    ({"sessions": [_session("9:00", "10:00")]}, "sessions"),
    ({"sessions": [_session("00:00", "23:55")], "meeting_minutes": 5}, "sessions"),  # too many slots
    ({"sessions": [_session("09:00", "09:10")]}, "sessions"),  # no meeting fits
    ({"tables": ["Blue", "Blue"]}, "tables"),
    ({"tables": [" "]}, "tables"),
    ({"tables": ["x" * 101]}, "tables"),
    ({"three_seat_tables": 4}, "three_seat_tables"),
    ({"allowed_pairs": ["health-dentist"]}, "allowed_pairs"),
    ({"allowed_pairs": []}, "allowed_pairs"),
    ({"status": "secret"}, "status"),
    ({"request_deadline": "next week"}, "request_deadline"),
    ({"organiser_id": 1}, "organiser_id"),
])
def test_creating_refuses_invalid_fields_and_stores_nothing(db, as_, world, changes, field):  # noqa: F811
    before = _arenas(db)
    refused(db, lambda: as_("organiser").post("/api/v1/arenas", json=NEW_ARENA | changes), 422, field)
    assert _arenas(db) == before


def test_creating_refuses_a_body_that_is_no_object_or_no_organiser(db, as_, world):  # noqa: F811
    refused(db, lambda: as_("admin").post("/api/v1/arenas", json=NEW_ARENA), 422)  # organises for nobody
    refused(db, lambda: as_("organiser").post("/api/v1/arenas", json=[NEW_ARENA]), 400)
    refused(db, lambda: as_("organiser").post("/api/v1/arenas", data="title=x"), 400)


@pytest.mark.parametrize("role", ["a", "x", "outsider", "waiting"])
def test_only_organisers_and_administrators_create_arenas(db, as_, world, role):  # noqa: F811
    response = refused(db, lambda: as_(role).post("/api/v1/arenas", json=NEW_ARENA), 403)
    assert "organisers" in response.json["error"]["message"]


def test_creating_needs_a_token(client, db, world):  # noqa: F811
    refused(db, lambda: client.post("/api/v1/arenas", json=NEW_ARENA), 401)


# --- changing ----------------------------------------------------------------------------------

def test_the_organiser_changes_some_fields_and_keeps_the_rest(db, as_, world):  # noqa: F811
    arena = world.arena
    slot_ids, table_ids = [s.id for s in arena.slots], [t.id for t in arena.tables]
    response = as_("organiser").patch(world.url(), json={
        "title": "Renamed arena", "tables": ["Table 1", "Table 2", "Annex"], "three_seat_tables": 1,
        "sessions": [_session("09:00", "10:20", "2030-06-03")], "request_deadline": "2030-06-01T18:00:00",
        "max_meetings": 5})
    assert response.status_code == 200, response.json
    changed = response.json
    assert (changed["title"], changed["max_meetings"], changed["timezone"]) == ("Renamed arena", 5, "UTC")
    assert [s["id"] for s in changed["slots"]][:4] == slot_ids and len(changed["slots"]) == 4
    assert [t["id"] for t in changed["tables"]][:2] == table_ids
    assert [t["capacity"] for t in changed["tables"]] == [3, 2, 2]
    assert changed["request_deadline"].startswith("2030-06-01T18:00")
    db.expire_all()
    assert db.get(Meeting, world.meeting.id).slot_id == slot_ids[0]  # the placed meeting stays put

    cleared = as_("admin").patch(world.url(), json={"max_meetings": None, "request_deadline": None})
    assert cleared.status_code == 200, cleared.json
    assert (cleared.json["max_meetings"], cleared.json["request_deadline"], cleared.json["title"]) == (
        None, None, "Renamed arena")


def test_an_empty_change_changes_nothing(db, as_, world):  # noqa: F811
    before = snapshot(db)
    response = as_("organiser").patch(world.url(), json={})
    assert response.status_code == 200, response.json
    db.expire_all()
    assert not changed_tables(before, snapshot(db))


@pytest.mark.parametrize(("changes", "field"), [
    ({"sessions": [_session("09:20", "10:20", "2030-06-03")]}, "sessions"),
    ({"meeting_minutes": 30}, "sessions"),
    ({"tables": ["Table 2", "Table 3"]}, "tables"),
])
def test_removing_a_slot_or_table_a_placed_meeting_uses_is_a_conflict(db, as_, world, changes, field):  # noqa: F811
    """The world's meeting sits in the first slot (09:00) at Table 1."""
    response = refused(db, lambda: as_("organiser").patch(world.url(), json=changes), 409, field)
    assert "1 scheduled meetings" in response.json["error"]["fields"][field]
    # Removing slots and tables no meeting uses is fine.
    fewer = {"sessions": [_session("09:00", "09:40", "2030-06-03")], "tables": ["Table 1"]}
    assert as_("organiser").patch(world.url(), json=fewer).status_code == 200


def test_making_a_table_holding_three_smaller_is_a_conflict(make, db, as_, world):  # noqa: F811
    arena = world.arena
    arena.tables[1].capacity = 3
    trio = make.meeting(arena, make.participant(arena), make.participant(arena, kind="clinical_department"),
                        make.participant(arena, kind="clinical_department"))
    trio.place(arena.slots[1], arena.tables[1])
    db.commit()
    response = refused(db, lambda: as_("organiser").patch(world.url(), json={"three_seat_tables": 0}), 409,
                       "three_seat_tables")
    assert "Table 2" in response.json["error"]["fields"]["three_seat_tables"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": None}, "title"), ({"title": "x" * 201}, "title"), ({"timezone": "Nowhere/Else"}, "timezone"),
    ({"sessions": []}, "sessions"), ({"tables": []}, "tables"), ({"status": None}, "status"),
    ({"three_seat_tables": 3}, "three_seat_tables"), ({"max_meetings": 0}, "max_meetings"),
])
def test_changing_refuses_invalid_fields_and_stores_nothing(db, as_, world, changes, field):  # noqa: F811
    refused(db, lambda: as_("organiser").patch(world.url(), json=changes), 422, field)


@pytest.mark.parametrize(("role", "status"), [("other_organiser", 403), ("a", 403), ("x", 403),
                                              ("outsider", 403), ("waiting", 403)])
def test_only_the_arenas_organisers_change_it(db, as_, world, role, status):  # noqa: F811
    refused(db, lambda: as_(role).patch(world.url(), json={"title": "Taken over"}), status)
    refused(db, lambda: as_(role).patch(world.url(), json={"title": None}), status)  # refused before reading


def test_a_draft_is_not_found_by_others_and_anonymous_is_refused(make, client, db, as_, world):  # noqa: F811
    draft = make.arena(organiser=world.arena.organiser, status="draft")
    for role in ("other_organiser", "a"):
        refused(db, lambda role=role: as_(role).patch(f"/api/v1/arenas/{draft.id}", json={"title": "Mine"}), 404)
    refused(db, lambda: client.patch(world.url(), json={"title": "Taken over"}), 401)
    assert as_("organiser").patch(f"/api/v1/arenas/{draft.id}", json={"status": "open"}).json["status"] == "open"


# --- attendance --------------------------------------------------------------------------------

@pytest.fixture
def held(db, world):  # noqa: F811
    """The world's published meeting, its slot moved to an hour ago."""
    slot = world.arena.slots[0]
    slot.starts_at, slot.ends_at = utcnow() - timedelta(hours=1), utcnow() - timedelta(minutes=40)
    db.commit()
    return world.meeting


def test_a_party_marks_a_held_meeting_and_the_organiser_corrects_it(db, as_, world, held):  # noqa: F811
    url = world.url("/meetings/{meeting}/attendance")
    marked = as_("a").post(url, json={"attendance": "held", "outcome": "follow_up_planned",
                                      "outcome_note": "Pilot in May"})
    assert marked.status_code == 200, marked.json
    assert (marked.json["attendance"], marked.json["outcome"], marked.json["outcome_note"]) == (
        "held", "follow_up_planned", "Pilot in May")
    assert "note" not in marked.json  # the meeting's own note is not part of this answer
    corrected = as_("organiser").post(url, json={"attendance": "no_show", "outcome": "other"})
    assert (corrected.json["attendance"], corrected.json["outcome"]) == ("no_show", None)
    db.expire_all()
    meeting = db.get(Meeting, held.id)
    assert (meeting.attendance, meeting.attendance_by_id) == ("no_show", world.users["organiser"].id)


def test_attendance_refusals_change_nothing(db, as_, world, held):  # noqa: F811
    url = world.url("/meetings/{meeting}/attendance")
    refused(db, lambda: as_("a").post(url, json={"attendance": "maybe"}), 422, "attendance")
    refused(db, lambda: as_("a").post(url, json={"attendance": "held", "outcome": "rich"}), 422, "outcome")
    refused(db, lambda: as_("a").post(url, json={"attendance": "held", "outcome_note": "x" * 501}), 422,
            "outcome_note")
    for role in ("b", "y", "outsider", "other_organiser"):  # not in the meeting, not its organiser
        refused(db, lambda role=role: as_(role).post(url, json={"attendance": "no_show"}), 404)
        refused(db, lambda role=role: as_(role).post(url, json={"attendance": "maybe"}), 404)  # before the body
    refused(db, lambda: as_("b").post(world.url("/meetings/{unplaced}/attendance"),
                                      json={"attendance": "held"}), 409)  # not in the schedule


def test_a_meeting_cannot_be_marked_before_it_starts(db, as_, world):  # noqa: F811
    assert world.arena.slots[0].start > datetime.now(UTC)
    response = refused(db, lambda: as_("x").post(world.url("/meetings/{meeting}/attendance"),
                                                 json={"attendance": "held"}), 409)
    assert "started" in response.json["error"]["message"]


# --- the page shows the same conflict ----------------------------------------------------------

def test_the_edit_page_shows_the_conflict_on_the_form(client, auth, db, world):  # noqa: F811
    auth.login(world.users["organiser"])
    form = client.get(f"/arenas/{world.arena.id}/edit").get_data(as_text=True)
    assert "2030-06-03 09:00-10:20" in form and "Table 1" in form  # filled from the arena
    before = snapshot(db)
    response = client.post(f"/arenas/{world.arena.id}/edit", data={
        "title": "Arena", "timezone": "UTC", "meeting_minutes": "20", "sessions": "2030-06-03 09:00-10:20",
        "tables": "Table 2", "three_seat_tables": "0", "allowed_pairs": ["health-supplier"], "status": "open"})
    assert response.status_code == 422
    assert "1 scheduled meetings use slots or tables" in response.get_data(as_text=True)
    db.expire_all()
    assert not changed_tables(before, snapshot(db))
