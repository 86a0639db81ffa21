"""Arena pages through the test client: setting up, registering, requesting, answering,
scheduling, publishing, agendas, exports and the dashboard."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import select

from matchmaker.models import Arena, ArenaParticipant, Meeting, Notification
from matchmaker.models.types import utcnow


def test_organiser_creates_arena_with_sessions_breaks_and_tables(client, auth, make, db):
    organiser = make.user(kind="arena_organiser")
    auth.login(organiser)
    response = client.post("/arenas/new", data={
        "title": "Nordic health arena", "venue": "Oslo Spektrum", "timezone": "Europe/Oslo",
        "meeting_minutes": "20", "sessions": "2030-03-12 09:00-10:00\n2030-03-12 10:30-11:30",
        "tables": "Blue\nGreen\nRed", "three_seat_tables": "1", "allowed_pairs": ["health-supplier"],
        "status": "open", "request_deadline": "2030-03-10T12:00"})
    assert response.status_code == 302
    arena = db.scalar(select(Arena).where(Arena.title == "Nordic health arena"))
    assert len(arena.slots) == 6  # three before the break, three after
    assert [t.name for t in arena.tables] == ["Blue", "Green", "Red"]
    assert [t.capacity for t in arena.tables] == [3, 2, 2]
    first = arena.slots[0]
    assert first.start.hour == 8  # 09:00 in Oslo is 08:00 UTC in March
    assert arena.request_deadline.replace(tzinfo=None).hour == 11
    page = client.get(f"/arenas/{arena.id}").get_data(as_text=True)
    assert "Nordic health arena" in page and "10:30–11:30" in page


def test_arena_form_explains_bad_sessions_and_keeps_input(client, auth, make):
    auth.login(make.user(kind="arena_organiser"))
    response = client.post("/arenas/new", data={
        "title": "Arena", "timezone": "Europe/Oslo", "meeting_minutes": "20", "sessions": "tomorrow morning",
        "tables": "4", "allowed_pairs": ["health-supplier"], "status": "open"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "write a session as 2026-03-12 09:00-12:00" in page
    assert "tomorrow morning" in page


def test_only_organisers_create_arenas(client, auth, make):
    auth.login(make.user(kind="supplier"))
    assert client.get("/arenas/new").status_code == 403


def _journey(client, auth, make, db):
    arena = make.arena(slots=3, tables=1)
    organiser = make.user(arena.organiser)
    supplier, clinician = make.user(kind="supplier"), make.user(kind="clinical_department")
    for user in (supplier, clinician):
        auth.login(user)
        response = client.post(f"/arenas/{arena.id}/register", data={"profile_id": ""})
        assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    auth.login(organiser)
    for participant in db.scalars(select(ArenaParticipant).where(ArenaParticipant.arena_id == arena.id)):
        client.post(f"/arenas/{arena.id}/registrations/{participant.id}", data={"action": "approve"})
    return arena, organiser, supplier, clinician


def test_request_accept_schedule_publish_and_agenda(client, auth, make, db):
    arena, organiser, supplier, clinician = _journey(client, auth, make, db)
    department = db.scalar(select(ArenaParticipant).where(ArenaParticipant.user_id == clinician.id))
    auth.login(supplier)
    assert client.get(f"/arenas/{arena.id}/people").status_code == 200
    assert client.get(f"/arenas/{arena.id}/request/{department.id}").status_code == 200
    client.post(f"/arenas/{arena.id}/requests", data={"recipient_id": department.id, "note": "Fall sensor pilot?"})
    meeting = db.scalar(select(Meeting).where(Meeting.arena_id == arena.id))
    assert meeting.status == "pending"

    auth.login(clinician)
    page = client.get(f"/arenas/{arena.id}/requests").get_data(as_text=True)
    assert "Fall sensor pilot?" in page
    client.post(f"/arenas/{arena.id}/meetings/{meeting.id}/respond", data={"action": "accept"})
    db.refresh(meeting)
    assert meeting.status == "accepted"

    auth.login(organiser)
    assert client.post(f"/arenas/{arena.id}/schedule/run").status_code == 302
    db.refresh(meeting)
    assert meeting.slot_id is not None and meeting.table_id is not None
    grid = client.get(f"/arenas/{arena.id}/schedule?meeting={meeting.id}").get_data(as_text=True)
    assert supplier.name in grid
    client.post(f"/arenas/{arena.id}/schedule/publish")

    for user in (supplier, clinician):
        auth.login(user)
        agenda = client.get(f"/arenas/{arena.id}/agenda").get_data(as_text=True)
        assert "Table 1" in agenda
        calendar = Calendar.from_ical(client.get(f"/arenas/{arena.id}/agenda.ics").data)
        events = list(calendar.walk("VEVENT"))
        assert len(events) == 1
        assert events[0].decoded("dtstart") == meeting.slot.start
        assert "Table 1" in str(events[0]["location"])
    kinds = {n.kind for n in db.scalars(select(Notification).where(Notification.user_id == supplier.id))}
    assert {"registration_approved", "meeting_accepted", "schedule_published"} <= kinds


def test_organiser_pages_exports_and_dashboard(client, auth, make, db):
    arena, organiser, supplier, clinician = _journey(client, auth, make, db)
    people = db.scalars(select(ArenaParticipant).where(ArenaParticipant.arena_id == arena.id)).all()
    make.meeting(arena, *people)
    auth.login(organiser)
    client.post(f"/arenas/{arena.id}/schedule/run")
    csv_text = client.get(f"/arenas/{arena.id}/schedule.csv").get_data(as_text=True)
    assert supplier.name in csv_text and "Table 1" in csv_text
    assert supplier.name in client.get(f"/arenas/{arena.id}/print/tables").get_data(as_text=True)
    assert clinician.name in client.get(f"/arenas/{arena.id}/print/participants").get_data(as_text=True)
    dashboard = client.get(f"/arenas/{arena.id}/dashboard").get_data(as_text=True)
    assert "<svg" in dashboard and "chart-funnel" in dashboard
    assert client.get("/notifications").status_code == 200


def test_refused_move_is_explained_and_changes_nothing(client, auth, make, db):
    arena = make.arena(slots=2, tables=2)
    organiser = make.user(arena.organiser)
    a, b, c = (make.participant(arena, kind=k) for k in ("supplier", "clinical_department", "clinical_department"))
    first, second = make.meeting(arena, a, b), make.meeting(arena, a, c)
    auth.login(organiser)
    client.post(f"/arenas/{arena.id}/schedule/run")
    db.refresh(first), db.refresh(second)
    assert {first.slot_id, second.slot_id} == {s.id for s in arena.slots}
    response = client.post(f"/arenas/{arena.id}/meetings/{second.id}/move",
                           data={"slot_id": first.slot_id, "table_id": arena.tables[1].id}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Not changed" in page and "already has a meeting at that time" in page
    slot_before = second.slot_id
    db.refresh(second)
    assert second.slot_id == slot_before


def test_attendance_after_the_meeting(client, auth, make, db):
    arena = make.arena(slots=2, tables=1, day=(utcnow() - timedelta(days=1)).date().isoformat())
    supplier, department = make.participant(arena, kind="supplier"), make.participant(arena, kind="clinical_department")
    meeting = make.meeting(arena, supplier, department)
    auth.login(make.user(arena.organiser))
    client.post(f"/arenas/{arena.id}/schedule/run")
    client.post(f"/arenas/{arena.id}/schedule/publish")
    auth.login(department.user)
    client.post(f"/arenas/{arena.id}/meetings/{meeting.id}/attendance",
                data={"attendance": "held", "outcome": "test_collaboration_proposed", "outcome_note": "Pilot in May"})
    db.refresh(meeting)
    assert (meeting.attendance, meeting.outcome, meeting.outcome_note) == ("held", "test_collaboration_proposed",
                                                                           "Pilot in May")
