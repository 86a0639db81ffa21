"""The arena services called directly: request rules, expiry, meeting caps, the scheduler and its
reasons, manual schedule changes, the database's unique keys as the last line of defence, arena
setup, the calendar file and the dashboard figures."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from matchmaker.models import Meeting, Notification
from matchmaker.models.arenas import as_utc
from matchmaker.models.types import utcnow
from matchmaker.services import notifications
from matchmaker.services.arenas import agenda, requests, schedule, setup, stats
from matchmaker.services.errors import Conflict, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.usefixtures("request_context")

SUPPLIER, HEALTH, FUNDER = "supplier", "clinical_department", "funding_agency"


@pytest.fixture
def request_context(app):
    """Services word their errors with gettext, which needs a request."""
    with app.test_request_context():
        yield


def _kinds(db, user) -> list[str]:
    return [n.kind for n in db.scalars(select(Notification).where(Notification.user_id == user.id)
                                       .order_by(Notification.id))]


def _meetings(db, arena) -> list[Meeting]:
    return list(db.scalars(select(Meeting).where(Meeting.arena_id == arena.id).order_by(Meeting.id)))


def _where(meeting: Meeting) -> tuple[int | None, int | None]:
    return meeting.slot_id, meeting.table_id


# --- request rules ---------------------------------------------------------------------------

def test_cannot_request_a_colleague(make, db):
    arena = make.arena()
    me = make.participant(arena, kind=SUPPLIER)
    colleague = make.participant(arena, user=make.user(me.organisation))
    with pytest.raises(ValidationFailed, match="another organisation"):
        requests.request_meeting(db, None, me.user, arena, colleague.id)
    assert _meetings(db, arena) == []


@pytest.mark.parametrize(("first", "second"), [(SUPPLIER, SUPPLIER), (SUPPLIER, FUNDER)])
def test_groups_the_arena_does_not_pair_are_refused(make, db, first, second):
    arena = make.arena()
    arena.allowed_pairs = [["health", "supplier"]]
    db.commit()
    me, other = make.participant(arena, kind=first), make.participant(arena, kind=second)
    with pytest.raises(PermissionDenied):
        requests.request_meeting(db, None, me.user, arena, other.id)
    assert _meetings(db, arena) == []
    # The pair the arena allows still works.
    health = make.participant(arena, kind=HEALTH)
    assert requests.request_meeting(db, None, me.user, arena, health.id).status == "pending"


def test_duplicate_request_is_a_conflict(make, db):
    arena = make.arena()
    me, other = make.participant(arena, kind=SUPPLIER), make.participant(arena, kind=HEALTH)
    requests.request_meeting(db, None, me.user, arena, other.id, note="First")
    with pytest.raises(Conflict, match="already have a meeting request"):
        requests.request_meeting(db, None, me.user, arena, other.id, note="Again")
    assert len(_meetings(db, arena)) == 1


def test_asking_someone_who_asked_you_accepts_their_request_as_mutual(make, db):
    arena = make.arena()
    a, b = make.participant(arena, kind=SUPPLIER), make.participant(arena, kind=HEALTH)
    c = make.participant(arena, kind=HEALTH)
    theirs = requests.request_meeting(db, None, b.user, arena, a.id, note="Shall we?")
    one_way = requests.request_meeting(db, None, a.user, arena, c.id)
    ours = requests.request_meeting(db, None, a.user, arena, b.id, note="Yes, gladly")

    assert ours.id == theirs.id
    assert (ours.status, ours.mutual, ours.requester_id) == ("accepted", True, b.id)
    assert ours.response_note == "Yes, gladly"
    assert [m.id for m in _meetings(db, arena)] == sorted([theirs.id, one_way.id])
    assert requests.priority(ours) > requests.priority(one_way)
    assert "meeting_accepted" in _kinds(db, b.user)


def test_third_participant_gets_the_third_seat(make, db):
    arena = make.arena(three_seat=1)
    a, b = make.participant(arena, kind=SUPPLIER), make.participant(arena, kind=HEALTH)
    colleague = make.participant(arena, user=make.user(a.organisation))
    meeting = requests.request_meeting(db, None, a.user, arena, b.id, third_id=colleague.id)
    db.expire_all()
    stored = db.get(Meeting, meeting.id)
    assert [(seat.participant_id, seat.position) for seat in stored.seats] == [(a.id, 0), (b.id, 1),
                                                                               (colleague.id, 2)]
    assert stored.third.id == colleague.id
    # Both other people are told about the request.
    assert "meeting_requested" in _kinds(db, b.user) and "meeting_requested" in _kinds(db, colleague.user)


def test_third_participant_must_be_someone_else(make, db):
    arena = make.arena()
    a, b = make.participant(arena, kind=SUPPLIER), make.participant(arena, kind=HEALTH)
    with pytest.raises(ValidationFailed) as refused:
        requests.request_meeting(db, None, a.user, arena, b.id, third_id=b.id)
    assert "third_id" in refused.value.field_errors


def test_notes_are_limited_to_1000_characters(make, db):
    arena = make.arena()
    a, b, c = (make.participant(arena, kind=kind) for kind in (SUPPLIER, HEALTH, HEALTH))
    with pytest.raises(ValidationFailed) as refused:
        requests.request_meeting(db, None, a.user, arena, b.id, note="x" * 1001)
    assert "note" in refused.value.field_errors
    assert _meetings(db, arena) == []
    assert len(requests.request_meeting(db, None, a.user, arena, c.id, note="y" * 1000).note) == 1000


# --- expiry ----------------------------------------------------------------------------------

def test_requests_expire_at_the_deadline(make, db):
    arena = make.arena()
    a, b = make.participant(arena, kind=SUPPLIER), make.participant(arena, kind=HEALTH)
    c = make.participant(arena, kind=HEALTH)
    pending = make.meeting(arena, a, b, status="pending")
    accepted = make.meeting(arena, a, c)
    arena.request_deadline = utcnow() - timedelta(hours=1)
    db.commit()

    assert requests.expire_overdue(db, arena) == 1
    assert (pending.status, accepted.status) == ("expired", "accepted")
    assert "meeting_expired" in _kinds(db, a.user)
    assert "meeting_expired" not in _kinds(db, b.user)
    with pytest.raises(Conflict):
        requests.respond(db, b.user, pending, accept=True)
    assert pending.status == "expired"
    with pytest.raises(Conflict, match="deadline for meeting requests"):
        requests.request_meeting(db, None, a.user, arena, b.id)


def test_pending_requests_do_not_expire_before_the_deadline(make, db):
    arena = make.arena(request_deadline=utcnow() + timedelta(days=1))
    a, b = make.participant(arena, kind=SUPPLIER), make.participant(arena, kind=HEALTH)
    pending = make.meeting(arena, a, b, status="pending")
    assert requests.expire_overdue(db, arena) == 0
    assert requests.respond(db, b.user, pending, accept=True).status == "accepted"


# --- caps ------------------------------------------------------------------------------------

def test_arena_cap_refuses_a_second_accepted_meeting(make, db):
    arena = make.arena(max_meetings=1)
    a = make.participant(arena, kind=SUPPLIER)
    b, c = make.participant(arena, kind=HEALTH), make.participant(arena, kind=HEALTH)
    make.meeting(arena, a, b)
    second = requests.request_meeting(db, None, c.user, arena, a.id)
    with pytest.raises(Conflict) as refused:
        requests.respond(db, a.user, second, accept=True)
    assert "already has 1 accepted meetings, the most allowed" in refused.value.message
    assert a.user.name in refused.value.message
    assert second.status == "pending"
    # And the participant at the cap cannot send new requests either.
    with pytest.raises(Conflict, match="the most allowed"):
        requests.request_meeting(db, None, a.user, arena, make.participant(arena, kind=HEALTH).id)


def test_participants_own_lower_cap_applies(make, db):
    arena = make.arena(max_meetings=5)
    a = make.participant(arena, kind=SUPPLIER)
    a.max_meetings = 1
    db.commit()
    b, c = make.participant(arena, kind=HEALTH), make.participant(arena, kind=HEALTH)
    make.meeting(arena, b, a)
    second = requests.request_meeting(db, None, c.user, arena, a.id)
    with pytest.raises(Conflict) as refused:
        requests.respond(db, a.user, second, accept=True)
    assert "already has 1 accepted meetings" in refused.value.message
    # Others in the same arena still have the arena's cap of 5.
    d = make.participant(arena, kind=SUPPLIER)
    assert requests.respond(db, b.user, requests.request_meeting(db, None, d.user, arena, b.id),
                            accept=True).status == "accepted"


# --- the scheduler ---------------------------------------------------------------------------

def _assert_no_double_booking(db, arena):
    placed = [m for m in _meetings(db, arena) if m.slot_id is not None]
    cells = Counter(_where(m) for m in placed)
    assert all(count == 1 for count in cells.values()), cells
    people = Counter((p.id, m.slot_id) for m in placed for p in m.participants)
    assert all(count == 1 for count in people.values()), people
    for meeting in placed:
        assert meeting.status == "accepted"
        assert meeting.table.capacity >= len(meeting.seats)
        assert {seat.slot_id for seat in meeting.seats} == {meeting.slot_id}
        for participant in meeting.participants:
            assert meeting.slot_id not in (participant.unavailable_slot_ids or [])
    return placed


def test_scheduler_never_double_books(make, db):
    arena = make.arena(slots=3, tables=2)
    organiser = make.user(arena.organiser)
    suppliers = [make.participant(arena, kind=SUPPLIER) for _ in range(3)]
    health = [make.participant(arena, kind=HEALTH) for _ in range(3)]
    health[0].unavailable_slot_ids = [arena.slots[0].id]
    db.commit()
    for supplier in suppliers:
        for person in health:
            make.meeting(arena, supplier, person)  # 9 meetings for 6 places

    figures = schedule.run_scheduler(db, organiser, arena, time_limit=2)
    placed = _assert_no_double_booking(db, arena)
    assert len(placed) == figures["placed"] == 6  # every table of every slot is usable
    unplaced = [m for m in _meetings(db, arena) if m.slot_id is None]
    assert figures["unscheduled"] == len(unplaced) == 3
    assert all(m.unscheduled_reason in {"participant_full", "no_table", "no_common_slot"} for m in unplaced)


def test_scheduler_keeps_published_and_locked_meetings_in_place(make, db):
    arena = make.arena(slots=3, tables=1)
    organiser = make.user(arena.organiser)
    a, b, c = (make.participant(arena, kind=SUPPLIER) for _ in range(3))
    x, y, z = (make.participant(arena, kind=HEALTH) for _ in range(3))
    published = make.meeting(arena, a, x)
    schedule.run_scheduler(db, organiser, arena, time_limit=2)
    assert schedule.publish(db, organiser, arena) == 1
    published_where, published_at = _where(published), as_utc(published.published_at)

    locked = make.meeting(arena, b, y)
    schedule.run_scheduler(db, organiser, arena, time_limit=2)
    schedule.set_locked(db, organiser, arena, locked, True)
    locked_where = _where(locked)
    assert None not in locked_where and locked.published_at is None

    # Meetings of mutual interest weigh more than the fixed ones, and there is room for only one.
    newcomers = [make.meeting(arena, a, y), make.meeting(arena, b, x), make.meeting(arena, c, z)]
    for meeting in newcomers:
        meeting.mutual = True
    db.commit()
    schedule.run_scheduler(db, organiser, arena, time_limit=2)

    db.expire_all()
    assert _where(db.get(Meeting, published.id)) == published_where
    assert as_utc(db.get(Meeting, published.id).published_at) == published_at
    assert _where(db.get(Meeting, locked.id)) == locked_where
    assert db.get(Meeting, locked.id).locked
    _assert_no_double_booking(db, arena)
    assert sum(db.get(Meeting, m.id).slot_id is not None for m in newcomers) == 1


def test_unscheduled_meetings_get_participant_full(make, db):
    arena = make.arena(slots=1, tables=2)
    a = make.participant(arena, kind=SUPPLIER)
    first, second = make.meeting(arena, a, make.participant(arena, kind=HEALTH)), \
        make.meeting(arena, a, make.participant(arena, kind=HEALTH))
    schedule.run_scheduler(db, make.user(arena.organiser), arena, time_limit=2)
    left_out = [m for m in (first, second) if m.slot_id is None]
    assert len(left_out) == 1
    assert left_out[0].unscheduled_reason == "participant_full"


def test_unscheduled_meetings_get_no_table(make, db):
    arena = make.arena(slots=1, tables=1)
    first = make.meeting(arena, make.participant(arena, kind=SUPPLIER), make.participant(arena, kind=HEALTH))
    second = make.meeting(arena, make.participant(arena, kind=SUPPLIER), make.participant(arena, kind=HEALTH))
    schedule.run_scheduler(db, make.user(arena.organiser), arena, time_limit=2)
    assert sorted(str(m.unscheduled_reason) for m in (first, second)) == ["None", "no_table"]


def test_three_people_without_a_three_seat_table_are_too_large(make, db):
    arena = make.arena(slots=2, tables=2, three_seat=0)
    trio = make.meeting(arena, *(make.participant(arena, kind=kind) for kind in (SUPPLIER, HEALTH, HEALTH)))
    figures = schedule.run_scheduler(db, make.user(arena.organiser), arena, time_limit=2)
    assert (trio.slot_id, trio.unscheduled_reason) == (None, "too_large")
    assert figures["unscheduled"] == 1


def test_participant_unavailable_everywhere_has_no_common_slot(make, db):
    arena = make.arena(slots=2, tables=2)
    busy = make.participant(arena, kind=HEALTH)
    busy.unavailable_slot_ids = [slot.id for slot in arena.slots]
    db.commit()
    meeting = make.meeting(arena, make.participant(arena, kind=SUPPLIER), busy)
    schedule.run_scheduler(db, make.user(arena.organiser), arena, time_limit=2)
    assert (meeting.slot_id, meeting.unscheduled_reason) == (None, "no_common_slot")


def test_only_organisers_run_the_scheduler(make, db):
    arena = make.arena()
    a = make.participant(arena, kind=SUPPLIER)
    meeting = make.meeting(arena, a, make.participant(arena, kind=HEALTH))
    with pytest.raises(PermissionDenied):
        schedule.run_scheduler(db, a.user, arena, time_limit=2)
    with pytest.raises(PermissionDenied):
        schedule.run_scheduler(db, make.user(kind="arena_organiser"), arena, time_limit=2)
    assert meeting.slot_id is None


# --- manual changes --------------------------------------------------------------------------

@pytest.fixture
def board(make, db):
    """Two slots and two two-seat tables; a meeting of a and x placed in the first slot at Table 1."""
    arena = make.arena(slots=2, tables=2)
    organiser = make.user(arena.organiser)
    a, b, c = (make.participant(arena, kind=SUPPLIER) for _ in range(3))
    x, y, z = (make.participant(arena, kind=HEALTH) for _ in range(3))
    placed = make.meeting(arena, a, x)
    schedule.move_meeting(db, organiser, arena, placed, arena.slots[0].id, arena.tables[0].id)
    db.commit()
    return {"arena": arena, "organiser": organiser, "placed": placed, "a": a, "b": b, "c": c, "x": x, "y": y,
            "z": z, "slots": arena.slots, "tables": arena.tables}


def _refused_move(db, board, meeting, slot, table) -> str:
    before = _where(meeting)
    with pytest.raises(Conflict) as refused:
        schedule.move_meeting(db, board["organiser"], board["arena"], meeting, slot.id, table.id)
    db.rollback()
    db.expire_all()
    assert _where(db.get(Meeting, meeting.id)) == before
    return refused.value.message


def test_move_refuses_a_taken_table(make, db, board):
    other = make.meeting(board["arena"], board["b"], board["y"])
    message = _refused_move(db, board, other, board["slots"][0], board["tables"][0])
    assert "Table 1 is taken at that time" in message
    assert board["a"].user.name in message


def test_move_refuses_a_busy_participant(make, db, board):
    other = make.meeting(board["arena"], board["a"], board["y"])
    message = _refused_move(db, board, other, board["slots"][0], board["tables"][1])
    assert f"{board['a'].display_name} already has a meeting at that time" in message
    assert board["x"].user.name in message


def test_move_refuses_an_unavailable_participant(make, db, board):
    board["y"].unavailable_slot_ids = [board["slots"][1].id]
    db.commit()
    other = make.meeting(board["arena"], board["b"], board["y"])
    message = _refused_move(db, board, other, board["slots"][1], board["tables"][1])
    assert f"{board['y'].display_name} is not available at 09:20" in message


def test_move_refuses_a_table_too_small_for_three(make, db, board):
    trio = make.meeting(board["arena"], board["b"], board["y"], board["z"])
    message = _refused_move(db, board, trio, board["slots"][1], board["tables"][1])
    assert "Table 2 seats 2; this meeting has 3 people" in message


def test_move_refuses_a_meeting_that_is_not_accepted(make, db, board):
    pending = make.meeting(board["arena"], board["b"], board["y"], status="pending")
    assert "Only accepted meetings" in _refused_move(db, board, pending, board["slots"][1], board["tables"][1])


def test_moving_a_published_meeting_tells_its_participants(app, db, board):
    arena, organiser, meeting = board["arena"], board["organiser"], board["placed"]
    arena.timezone = "Europe/Oslo"  # the message gives the time where the arena takes place
    schedule.publish(db, organiser, arena)
    target_slot, target_table = board["slots"][1], board["tables"][1]
    schedule.move_meeting(db, organiser, arena, meeting, target_slot.id, target_table.id)
    db.commit()
    db.expire_all()
    stored = db.get(Meeting, meeting.id)
    assert _where(stored) == (target_slot.id, target_table.id)
    assert {seat.slot_id for seat in stored.seats} == {target_slot.id}
    assert stored.published_at is not None
    for person in (board["a"], board["x"]):
        moved = db.scalars(select(Notification).where(Notification.user_id == person.user_id,
                                                      Notification.kind == "meeting_moved")).all()
        assert len(moved) == 1
        assert moved[0].params["table"] == "Table 2"
        assert moved[0].params["timezone"] == "Europe/Oslo"
        with app.test_request_context(), force_locale("en"):
            # 09:20 UTC is 11:20 in Oslo in June, named with the arena's zone
            assert "3 Jun 2030, 11:20 (CEST), Table 2" in notifications.message(moved[0])
    assert "meeting_moved" not in _kinds(db, board["b"].user)


def test_moving_an_unpublished_meeting_tells_nobody(db, board):
    schedule.move_meeting(db, board["organiser"], board["arena"], board["placed"], board["slots"][1].id,
                          board["tables"][0].id)
    assert "meeting_moved" not in _kinds(db, board["a"].user)
    assert board["placed"].published_at is None


def test_remove_meeting_unplaces_it(db, board):
    arena, organiser, meeting = board["arena"], board["organiser"], board["placed"]
    schedule.publish(db, organiser, arena)
    schedule.set_locked(db, organiser, arena, meeting, True)
    schedule.remove_meeting(db, organiser, arena, meeting)
    db.commit()
    db.expire_all()
    stored = db.get(Meeting, meeting.id)
    assert (stored.slot_id, stored.table_id, stored.locked, stored.published_at) == (None, None, False, None)
    assert stored.status == "accepted"
    assert {seat.slot_id for seat in stored.seats} == {None}
    assert "meeting_removed" in _kinds(db, board["x"].user)
    # The freed cell can be used again.
    assert schedule.why_not_here(db, stored, board["slots"][0], board["tables"][0]) is None


def test_move_refuses_a_slot_or_table_of_another_arena(make, db, board):
    elsewhere = make.arena(slots=1, tables=1)
    for slot, table in ((elsewhere.slots[0], board["tables"][1]), (board["slots"][1], elsewhere.tables[0])):
        with pytest.raises(ValidationFailed):
            schedule.move_meeting(db, board["organiser"], board["arena"], board["placed"], slot.id, table.id)
    assert _where(board["placed"]) == (board["slots"][0].id, board["tables"][0].id)


def test_cannot_lock_an_unplaced_meeting(make, db, board):
    other = make.meeting(board["arena"], board["b"], board["y"])
    with pytest.raises(Conflict):
        schedule.set_locked(db, board["organiser"], board["arena"], other, True)


# --- the database as last line ---------------------------------------------------------------

def test_database_refuses_two_meetings_at_one_table_in_one_slot(make, db):
    arena = make.arena(slots=2, tables=2)
    first = make.meeting(arena, make.participant(arena, kind=SUPPLIER), make.participant(arena, kind=HEALTH))
    second = make.meeting(arena, make.participant(arena, kind=SUPPLIER), make.participant(arena, kind=HEALTH))
    slot, table = arena.slots[0], arena.tables[0]
    with pytest.raises(IntegrityError, match="(?i)unique|duplicate"), db.begin_nested():
        for meeting in (first, second):
            meeting.slot_id, meeting.table_id = slot.id, table.id
        db.flush()
    db.expire_all()
    assert {_where(db.get(Meeting, m.id)) for m in (first, second)} == {(None, None)}


def test_database_refuses_one_participant_twice_in_one_slot(make, db):
    arena = make.arena(slots=2, tables=2)
    a = make.participant(arena, kind=SUPPLIER)
    first = make.meeting(arena, a, make.participant(arena, kind=HEALTH))
    second = make.meeting(arena, a, make.participant(arena, kind=HEALTH))
    slot = arena.slots[0]
    with pytest.raises(IntegrityError, match="(?i)unique|duplicate"), db.begin_nested():
        for meeting in (first, second):
            next(seat for seat in meeting.seats if seat.participant_id == a.id).slot_id = slot.id
        db.flush()


@pytest.mark.parametrize("clash", ["same_table", "same_person"])
def test_two_organisers_acting_at_once_are_stopped_by_the_unique_keys(make, db, clash):
    """Both organisers check their move against the same (stale) state, so both checks pass; the
    second write must then fail in the database and be reported as a conflict."""
    arena = make.arena(slots=2, tables=2)
    organiser = make.user(arena.organiser)
    a, x, y = make.participant(arena, kind=SUPPLIER), make.participant(arena, kind=HEALTH), \
        make.participant(arena, kind=HEALTH)
    first = make.meeting(arena, a, x)
    second = make.meeting(arena, a if clash == "same_person" else make.participant(arena, kind=SUPPLIER), y)
    slot = arena.slots[0]
    first_table, second_table = arena.tables[0], arena.tables[0 if clash == "same_table" else 1]
    assert schedule.why_not_here(db, first, slot, first_table) is None
    assert schedule.why_not_here(db, second, slot, second_table) is None

    first.place(slot, first_table)
    schedule._flush(db)
    with pytest.raises(Conflict, match="Someone else changed the schedule") as refused, db.begin_nested():
        second.place(slot, second_table)
        schedule._flush(db)
    assert isinstance(refused.value.__cause__, IntegrityError)
    db.expire_all()
    assert _where(db.get(Meeting, first.id)) == (slot.id, first_table.id)
    assert _where(db.get(Meeting, second.id)) == (None, None)
    # And once the state is fresh, the service explains the refusal in words.
    with pytest.raises(Conflict, match="taken|already has a meeting"):
        schedule.move_meeting(db, organiser, arena, db.get(Meeting, second.id), slot.id, second_table.id)


# --- arena setup -----------------------------------------------------------------------------

def _arena_data(**changes) -> dict:
    data = {"title": "Health arena", "timezone": "UTC", "meeting_minutes": "20", "status": "open",
            "allowed_pairs": ["health-supplier"], "sessions": "2030-06-03 09:00-10:00", "tables": "Table 1\nTable 2",
            "three_seat_tables": "0"}
    return data | changes


def test_slots_follow_the_sessions_in_the_arenas_time_zone(make, db):
    organiser = make.user(kind="arena_organiser")
    arena = setup.create_arena(db, organiser, _arena_data(
        timezone="Europe/Oslo", sessions="2030-01-15 10:30-11:00\n2030-01-15 09:00-10:00", tables="3"))
    starts = [slot.start for slot in arena.slots]
    assert starts == [datetime(2030, 1, 15, 8, 0, tzinfo=UTC), datetime(2030, 1, 15, 8, 20, tzinfo=UTC),
                      datetime(2030, 1, 15, 8, 40, tzinfo=UTC), datetime(2030, 1, 15, 9, 30, tzinfo=UTC)]
    assert all(slot.end - slot.start == timedelta(minutes=20) for slot in arena.slots)
    # Nothing in the 10:00-10:30 break (09:00-09:30 UTC), and nothing overruns a session's end.
    assert not [s for s in arena.slots if datetime(2030, 1, 15, 9, 0, tzinfo=UTC) <= s.start
                < datetime(2030, 1, 15, 9, 30, tzinfo=UTC)]
    assert [t.name for t in arena.tables] == ["Table 1", "Table 2", "Table 3"]
    assert arena.organiser_id == organiser.organisation_id


@pytest.fixture
def placed_arena(make, db):
    """The factory's arena (UTC, 09:00-10:00, two tables) with a meeting at 09:40 at Table 2."""
    arena = make.arena(slots=3, tables=2)
    organiser = make.user(arena.organiser)
    meeting = make.meeting(arena, make.participant(arena, kind=SUPPLIER), make.participant(arena, kind=HEALTH))
    schedule.move_meeting(db, organiser, arena, meeting, arena.slots[2].id, arena.tables[1].id)
    db.commit()
    return arena, organiser, meeting


@pytest.mark.parametrize(("changes", "field"), [
    ({"sessions": "2030-06-03 09:00-09:40"}, "sessions"),
    ({"meeting_minutes": "30"}, "sessions"),
    ({"tables": "Table 1\nTable 3"}, "tables"),
])
def test_update_refuses_to_remove_a_used_slot_or_table(db, placed_arena, changes, field):
    arena, organiser, meeting = placed_arena
    slot_ids, table_ids = [s.id for s in arena.slots], [t.id for t in arena.tables]
    with pytest.raises(Conflict) as refused:
        setup.update_arena(db, organiser, arena, _arena_data(**changes))
    assert field in refused.value.field_errors
    assert "1 scheduled meetings" in refused.value.field_errors[field]
    db.rollback()
    db.expire_all()
    assert [s.id for s in arena.slots] == slot_ids and [t.id for t in arena.tables] == table_ids
    assert _where(db.get(Meeting, meeting.id)) == (slot_ids[2], table_ids[1])


def test_update_keeps_unchanged_slots_and_their_meetings(db, placed_arena):
    arena, organiser, meeting = placed_arena
    slot_ids = [s.id for s in arena.slots]
    setup.update_arena(db, organiser, arena, _arena_data(sessions="2030-06-03 09:00-10:20",
                                                         tables="Table 1\nTable 2\nTable 3"))
    db.commit()
    db.expire_all()
    assert [s.id for s in arena.slots][:3] == slot_ids and len(arena.slots) == 4
    assert len(arena.tables) == 3
    assert _where(db.get(Meeting, meeting.id)) == (slot_ids[2], arena.tables[1].id)


def test_update_refuses_to_shrink_a_table_holding_three(make, db):
    arena = make.arena(slots=2, tables=2, three_seat=1)
    organiser = make.user(arena.organiser)
    trio = make.meeting(arena, *(make.participant(arena, kind=k) for k in (SUPPLIER, HEALTH, HEALTH)))
    schedule.move_meeting(db, organiser, arena, trio, arena.slots[0].id, arena.tables[0].id)
    db.commit()
    with pytest.raises(Conflict) as refused:
        setup.update_arena(db, organiser, arena, _arena_data(sessions="2030-06-03 09:00-09:40"))
    assert "three_seat_tables" in refused.value.field_errors


# --- the calendar file -----------------------------------------------------------------------

def test_agenda_calendar_has_one_event_per_published_meeting(make, db):
    arena = make.arena(slots=3, tables=2, venue="Hall A")
    organiser = make.user(arena.organiser)
    me = make.participant(arena, kind=SUPPLIER)
    x, y, z = (make.participant(arena, kind=HEALTH) for _ in range(3))
    first, second = make.meeting(arena, me, x, note="Bring the demo kit"), make.meeting(arena, y, me)
    schedule.move_meeting(db, organiser, arena, first, arena.slots[2].id, arena.tables[0].id)
    schedule.move_meeting(db, organiser, arena, second, arena.slots[0].id, arena.tables[1].id)
    schedule.publish(db, organiser, arena)
    unpublished = make.meeting(arena, me, z)
    schedule.move_meeting(db, organiser, arena, unpublished, arena.slots[1].id, arena.tables[0].id)
    make.meeting(arena, make.participant(arena, kind=SUPPLIER), x)  # not mine

    meetings = agenda.agenda(db, me)
    assert [m.id for m in meetings] == [second.id, first.id]  # in time order
    calendar = Calendar.from_ical(agenda.agenda_calendar(arena, me, meetings, "http://localhost/"))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 2
    uids = [str(event["uid"]) for event in events]
    assert len(set(uids)) == 2
    for event, meeting, other in zip(events, (second, first), (y, x), strict=True):
        assert f"-meeting-{meeting.id}@" in str(event["uid"])
        assert event.decoded("dtstart") == meeting.slot.start
        assert event.decoded("dtend") == meeting.slot.end
        assert str(event["summary"]) == f"Meeting with {other.display_name}"
        assert str(event["location"]) == f"{meeting.table.name}, Hall A"
        assert z.display_name not in str(event["description"])
    assert "Bring the demo kit" in str(events[1]["description"])


# --- dashboard figures -----------------------------------------------------------------------

def test_arena_stats_on_a_known_arena(make, db):
    arena = make.arena(slots=2, tables=1)
    organiser = make.user(arena.organiser)
    a, b = make.participant(arena, kind=SUPPLIER), make.participant(arena, kind=SUPPLIER)
    make.participant(arena, kind=SUPPLIER, status="pending")
    x, y, z = (make.participant(arena, kind=HEALTH) for _ in range(3))
    make.participant(arena, kind=FUNDER, status="declined")
    held, unmarked = make.meeting(arena, a, x), make.meeting(arena, b, y)
    full, unseen = make.meeting(arena, a, y), make.meeting(arena, b, z)
    make.meeting(arena, b, x, status="pending")
    make.meeting(arena, a, z, status="declined")
    schedule.move_meeting(db, organiser, arena, held, arena.slots[0].id, arena.tables[0].id)
    schedule.move_meeting(db, organiser, arena, unmarked, arena.slots[1].id, arena.tables[0].id)
    full.unscheduled_reason = "participant_full"
    schedule.publish(db, organiser, arena)
    held.attendance, held.outcome = "held", "follow_up_planned"
    db.commit()

    figures = stats.arena_stats(db, organiser, arena)
    assert figures.registrations == {"supplier": Counter(approved=2, pending=1), "health": Counter(approved=3),
                                     "funder": Counter(declined=1)}
    assert +figures.requests == Counter(accepted=4, pending=1, declined=1)
    assert figures.funnel == [("requested", 6), ("accepted", 4), ("scheduled", 2), ("published", 2), ("held", 1)]
    assert +figures.unscheduled == Counter(participant_full=1, not_run=1)
    assert figures.attendance == Counter(held=1, unmarked=1)
    assert +figures.outcomes == Counter(follow_up_planned=1)
    assert (figures.approved, figures.without_meeting) == (5, 1)  # z has no scheduled meeting
    assert unseen.slot_id is None
    with pytest.raises(PermissionDenied):
        stats.arena_stats(db, a.user, arena)
