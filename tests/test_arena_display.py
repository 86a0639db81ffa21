"""What the arena pages show: every table in the schedule grid, what is placed and what is not in
plain words, people as person and organisation in lists, exports and calendar files, numbered
tables and CSV headers in the reader's language, and busy labels on the slow buttons."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from matchmaker.models import Meeting
from matchmaker.services.arenas import schedule

TABLES = 14  # more than fit across a laptop screen


@pytest.fixture
def trust_department(make):
    trust = make.organisation("health_trust", name="St. Olavs hospital")
    return make.organisation("clinical_department", name="Akuttmottaket", parent=trust)


@pytest.fixture
def arena_day(make, trust_department):
    """An arena of many tables with two placed meetings, one that cannot be placed (its two
    people are never free together) and one approved participant nobody asked to meet."""
    arena = make.arena(slots=2, tables=TABLES)
    organiser = make.user(arena.organiser, name="Olga Organiser")
    kari = make.participant(arena, make.user(trust_department, name="Kari Nordmann"))
    supplier = make.participant(arena, make.user(make.organisation("supplier", name="Tindra Helse AS"),
                                                 name="Contact, Tindra Helse AS"))
    other_supplier = make.participant(arena, kind="supplier")
    busy = make.participant(arena, kind="clinical_department")
    lonely = make.participant(arena, make.user(make.organisation("funding_agency", name="Innovasjon Norge"),
                                               name="Frida Funder"))
    placed = [make.meeting(arena, supplier, kari), make.meeting(arena, other_supplier, kari)]
    busy.unavailable_slot_ids = [slot.id for slot in arena.slots]
    left_out = make.meeting(arena, other_supplier, busy)
    make.db.commit()
    return {"arena": arena, "organiser": organiser, "kari": kari, "supplier": supplier, "placed": placed,
            "left_out": left_out, "lonely": lonely, "busy": busy}


def _schedule(client, auth, world) -> str:
    auth.login(world["organiser"])
    client.post(f"/arenas/{world['arena'].id}/schedule/run")
    return client.get(f"/arenas/{world['arena'].id}/schedule").get_data(as_text=True)


def test_every_table_has_its_column_in_the_grid(client, auth, arena_day):
    page = _schedule(client, auth, arena_day)
    for table in arena_day["arena"].tables:
        assert f'data-table="{table.id}">{table.name}<' in page
    assert page.count('class="grid-table"') == TABLES
    assert 'class="grid-scroll"' in page and 'class="grid-time"' in page


def test_the_grid_says_how_many_meetings_are_placed_and_who_has_none(client, auth, db, arena_day):
    page = _schedule(client, auth, arena_day)
    db.expire_all()
    assert db.get(Meeting, arena_day["left_out"].id).slot_id is None
    assert "2 of 3 accepted meetings placed." in page
    assert "1 could not be placed; see why below." in page
    assert "2 approved participants have no meeting in the schedule:" in page
    assert arena_day["lonely"].display_name in page and arena_day["busy"].display_name in page


def test_a_single_meeting_is_counted_in_the_singular(client, auth, make):
    arena = make.arena(slots=1, tables=1)
    supplier, department = make.participant(arena, kind="supplier"), make.participant(arena, kind="clinical_department")
    make.meeting(arena, supplier, department)
    page = _schedule(client, auth, {"organiser": make.user(arena.organiser), "arena": arena})
    assert "1 of 1 accepted meeting placed." in page
    assert "Every approved participant has at least one meeting in the schedule." in page


def test_people_in_the_grid_are_a_person_and_their_organisation(client, auth, arena_day):
    page = _schedule(client, auth, arena_day)
    assert "Kari Nordmann, Akuttmottaket, St. Olavs hospital" in page
    assert "Contact, Tindra" not in page and "Tindra Helse AS (Tindra Helse AS)" not in page
    assert ">Tindra Helse AS<" in page


def test_times_in_the_grid_are_on_one_line_without_the_date_repeated(client, auth, arena_day):
    page = _schedule(client, auth, arena_day)
    assert ">09:00–09:20<" in page and ">09:20–09:40<" in page
    assert ">3 Jun 2030<" in page  # the day once, above its slots
    assert "Times are in the arena's time zone, UTC." in page


def test_slow_buttons_carry_a_busy_label(client, auth, arena_day):
    page = _schedule(client, auth, arena_day)
    assert 'data-busy-label="Scheduling…">Run the scheduler<' in page
    assert 'data-busy-label="Publishing…">Publish the schedule<' in page


def test_csv_export_names_people_and_has_headers_in_the_readers_language(client, auth, db, arena_day):
    arena_day["organiser"].locale = "nb"
    db.commit()
    _schedule(client, auth, arena_day)
    rows = list(csv.reader(io.StringIO(client.get(f"/arenas/{arena_day['arena'].id}/schedule.csv")
                                       .get_data(as_text=True))))
    assert rows[0] == ["Dato", "Start", "Slutt", "Bord", "Deltakere", "Organisasjoner", "Låst", "Publisert"]
    people = {row[4] for row in rows[1:]}
    assert any("Kari Nordmann, Akuttmottaket, St. Olavs hospital" in cell for cell in people)
    assert all("Contact," not in cell for cell in people)
    assert rows[1][0] == "3. juni 2030" and rows[1][1] == "09:00"


def test_prints_name_people_with_their_organisation(client, auth, arena_day):
    _schedule(client, auth, arena_day)
    arena_id = arena_day["arena"].id
    tables = client.get(f"/arenas/{arena_id}/print/tables").get_data(as_text=True)
    assert "Kari Nordmann, Akuttmottaket, St. Olavs hospital" in tables
    sheets = client.get(f"/arenas/{arena_id}/print/participants").get_data(as_text=True)
    assert "<h1>Tindra Helse AS</h1>" in sheets and "Contact, Tindra" not in sheets
    assert "<h1>Kari Nordmann</h1>" in sheets


def test_the_calendar_file_and_agenda_name_the_other_person_with_their_organisation(client, auth, db, arena_day):
    world = arena_day
    _schedule(client, auth, world)
    schedule.publish(db, world["organiser"], world["arena"])
    db.commit()
    auth.login(world["kari"].user)
    agenda = client.get(f"/arenas/{world['arena'].id}/agenda").get_data(as_text=True)
    assert ">Tindra Helse AS<" in agenda and "Contact, Tindra" not in agenda
    assert 'data-label="Table"' in agenda and 'class="agenda-meeting"' in agenda
    calendar = Calendar.from_ical(client.get(f"/arenas/{world['arena'].id}/agenda.ics").data)
    summaries = {str(event["summary"]) for event in calendar.walk("VEVENT")}
    assert "Meeting with Tindra Helse AS" in summaries


def test_a_numbered_table_is_shown_in_the_readers_language(make):
    arena = make.arena(tables=1)
    table = arena.tables[0]
    table.name = "Bord 8"  # made by an organiser whose interface was Norwegian
    assert table.display_name == "Table 8"
    table.name = "Plenary room"
    assert table.display_name == "Plenary room"


def test_participant_lists_show_a_contact_account_by_its_organisation_once(client, auth, arena_day):
    auth.login(arena_day["organiser"])
    page = client.get(f"/arenas/{arena_day['arena'].id}/registrations").get_data(as_text=True)
    assert page.count("Tindra Helse AS") == 1
    assert "Akuttmottaket, St. Olavs hospital" in page


def test_arena_deadlines_are_in_the_arenas_zone_and_named_with_it(client, auth, make, db):
    arena = make.arena()
    arena.timezone = "Europe/Oslo"
    arena.request_deadline = datetime(2030, 6, 1, 10, 0, tzinfo=UTC)
    db.commit()
    auth.login(make.user(arena.organiser))
    page = client.get(f"/arenas/{arena.id}").get_data(as_text=True)
    assert "1 Jun 2030, 12:00 (CEST)" in page


@pytest.mark.parametrize(("locale", "day"), [("en", ">3 Jun 2030<"), ("nb", ">3. juni 2030<"), ("sv", ">3 juni 2030<")])
def test_the_grid_writes_the_day_in_the_readers_language(client, auth, db, arena_day, locale, day):
    arena_day["organiser"].locale = locale
    db.commit()
    page = _schedule(client, auth, arena_day)
    assert day in page and ">09:00–09:20<" in page
