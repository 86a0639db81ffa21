"""Each role's dashboard says what waits for it (and only for it), with a link to act, and what
to do when nothing waits; a dashboard's queries do not grow with what it shows."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy import event

from matchmaker.models import (
    Collaboration,
    CollaborationTerms,
    Follow,
    FundingInstrument,
    FundingLink,
)
from matchmaker.models.types import utcnow

FALLS = "Patients on our geriatric ward fall at night when they get up alone. Night staff notice too late."


def page_of(client) -> str:
    response = client.get("/dashboard")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    return page[start:page.index("</section>", start)]


def collaboration(make, need, capability, proposed_by, stage="proposed", **fields) -> Collaboration:
    return make._save(Collaboration(
        need=need, capability=capability, supplier_id=capability.organisation_id, department_id=need.organisation_id,
        proposed_by_id=proposed_by.id, stage=stage, **fields,
        terms=[CollaborationTerms(version=1, scope="A pilot on the ward", test_type="pilot")]))


def instrument(make, agency, **fields) -> FundingInstrument:
    values = {"title": "Pilots against falls", "description": FALLS, "language": "en", "status": "published",
              "applicants": ["supplier", "health_trust"], "purposes": ["pilot"], "currency": "NOK",
              "deadline": date.today() + timedelta(days=60), "clinical_areas": [], "countries": [],
              "passages": [], "requirements": "", "url": ""}
    return make._save(FundingInstrument(organisation_id=agency.id, **{**values, **fields}))


def placed(make, meeting, slot_index=0, table_index=0):
    """Puts a meeting in the schedule and publishes it."""
    meeting.place(meeting.arena.slots[slot_index], meeting.arena.tables[table_index])
    meeting.published_at = utcnow()
    return make._save(meeting)


@contextmanager
def counted_queries(engine):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


# --- founders and clinicians ----------------------------------------------------------------------

def test_founder_sees_the_requests_and_proposals_waiting_for_them_and_no_one_else(client, auth, make):
    founder = make.user(kind="supplier", name="Frida Founder")
    other_founder = make.user(kind="supplier", name="Olav Other")
    ward = make.organisation("clinical_department", name="Geriatric ward")
    clinician = make.user(ward, name="Carl Clinician")
    arena = make.arena(title="Health-tech day")
    me, other = make.participant(arena, founder), make.participant(arena, other_founder)
    carl = make.participant(arena, clinician)
    make.meeting(arena, carl, me, status="pending", note="Your radar could help our night shift")
    make.meeting(arena, carl, other, status="pending")
    need = make.need(ward, title="Night-time falls")
    mine = make.capability(founder.organisation, title="BedWatch radar")
    theirs = make.capability(other_founder.organisation, title="Other product")
    invited = collaboration(make, need, mine, proposed_by=ward)
    own_proposal = collaboration(make, make.need(ward, title="Own proposal need"), mine,
                                 proposed_by=founder.organisation)
    collaboration(make, make.need(ward, title="Not ours"), theirs, proposed_by=ward)

    auth.login(founder)
    page = page_of(client)
    assert "1 meeting request waits for your answer." in page
    assert "Carl Clinician, Geriatric ward asks to meet you at Health-tech day." in page
    assert f'href="/arenas/{arena.id}/requests"' in page and "Your radar could help" in page
    assert "1 collaboration proposal waits for your answer." in page
    assert f'href="/collaborations/{invited.id}"' in page
    waiting = section(page, "waiting")
    assert "Not ours" not in waiting and "Olav Other" not in waiting and "Own proposal need" not in waiting
    assert f'href="/collaborations/{own_proposal.id}"' in section(page, "moved")


def test_clinician_sees_terms_to_agree_and_collaborations_that_moved(client, auth, make, db):
    ward = make.organisation("clinical_department", name="Geriatric ward")
    clinician = make.user(ward)
    supplier = make.organisation("supplier", name="Radar AS")
    need = make.need(ward, title="Night-time falls")
    accepted = collaboration(make, need, make.capability(supplier), proposed_by=supplier, stage="accepted",
                             supplier_agreed_version=1)
    auth.login(clinician)
    page = page_of(client)
    assert "1 collaboration waits for you to agree to its terms." in page
    assert "Collaborations that moved" in page and "with Radar AS" in page
    accepted.department_agreed_version = 1
    make._save(accepted)
    assert "to agree to its terms" not in page_of(client)


def test_next_meetings_show_arena_time_table_and_who(client, auth, make):
    ward = make.organisation("clinical_department", name="Akuttmottaket")
    clinician = make.user(ward, name="Kari Nordmann")
    founder = make.user(kind="supplier", name="Frida Founder")
    arena = make.arena(title="Oslo meeting day", day="2030-06-03")
    arena.timezone = "Europe/Oslo"
    make._save(arena)
    meeting = make.meeting(arena, make.participant(arena, founder), make.participant(arena, clinician))
    placed(make, meeting, slot_index=1, table_index=1)
    auth.login(clinician)
    page = page_of(client)
    assert "11:20–11:40" in page  # 09:20 UTC is 11:20 in Oslo in June
    assert "Table 2" in page and "Frida Founder" in page and "Kari Nordmann," not in page


def test_unpublished_and_past_meetings_are_not_next(client, auth, make):
    clinician = make.user(kind="clinical_department")
    founder = make.user(kind="supplier", name="Frida Founder")
    past = make.arena(title="Last year's day", day="2020-06-03")
    placed(make, make.meeting(past, make.participant(past, founder), make.participant(past, clinician)))
    future = make.arena(title="Next year's day")
    unpublished = make.meeting(future, make.participant(future, founder), make.participant(future, clinician))
    unpublished.place(future.slots[0], future.tables[0])
    make._save(unpublished)
    auth.login(clinician)
    page = page_of(client)
    assert "No meeting is scheduled for you yet." in page
    assert "Frida Founder" not in page


def test_nothing_waiting_says_what_to_do_next(client, auth, make):
    auth.login(make.user(kind="supplier"))
    page = page_of(client)
    assert "Nothing waits for your answer." in page and 'href="/matches"' in page
    assert "No meeting is scheduled for you yet." in page
    assert "No collaboration yet." in page


def test_requests_at_closed_or_overdue_arenas_do_not_wait(client, auth, make):
    founder = make.user(kind="supplier")
    closed = make.arena(status="closed")
    make.meeting(closed, make.participant(closed, kind="clinical_department"), make.participant(closed, founder),
                 status="pending")
    overdue = make.arena(request_deadline=utcnow() - timedelta(hours=1))
    make.meeting(overdue, make.participant(overdue, kind="clinical_department"), make.participant(overdue, founder),
                 status="pending")
    auth.login(founder)
    assert "meeting request" not in page_of(client)


# --- organisers -------------------------------------------------------------------------------------

def test_organiser_sees_each_arenas_state_and_what_waits(client, auth, make):
    organiser = make.organisation("arena_organiser")
    user = make.user(organiser)
    closed = make.arena(organiser, title="Closed day", status="closed")
    founder, clinician = make.participant(closed, kind="supplier"), make.participant(closed, kind="clinical_department")
    make.participant(closed, kind="supplier", status="pending")
    make.meeting(closed, founder, clinician, status="accepted")
    make.arena(organiser, title="Draft day", status="draft")
    open_day = make.arena(organiser, title="Open day")
    make.meeting(open_day, make.participant(open_day, kind="supplier"),
                 make.participant(open_day, kind="clinical_department"), status="pending")
    make.arena(title="Someone else's day")
    auth.login(user)
    page = page_of(client)
    assert "2 arenas need you now." in page
    assert "1 registration waits for your approval." in page
    assert f'href="/arenas/{closed.id}/registrations"' in page
    assert "1 accepted meeting waits for a place in the schedule." in page
    assert f'href="/arenas/{closed.id}/schedule"' in page and "Run the scheduler" in page
    assert "1 meeting request is not answered yet." in page
    assert "Requests closed" in page and "Draft: only you see it" in page and "Open for registration" in page
    assert "Someone else&#39;s day" not in page and "Someone else's day" not in page


def test_scheduler_is_not_due_while_requests_are_open_and_then_for_late_acceptances(client, auth, make):
    organiser = make.organisation("arena_organiser")
    user = make.user(organiser)
    arena = make.arena(organiser)
    make.meeting(arena, make.participant(arena, kind="supplier"), make.participant(arena, kind="clinical_department"))
    auth.login(user)
    assert "Run the scheduler" not in page_of(client)
    arena.last_run = {"at": utcnow().isoformat(), "placed": 0, "unscheduled": 0}
    arena.schedule_published_at = utcnow()
    make._save(arena)
    page = page_of(client)
    assert "Run the scheduler" in page and "Schedule published" in page


def test_organiser_without_arenas_is_told_to_create_one(client, auth, make):
    auth.login(make.user(kind="arena_organiser"))
    page = page_of(client)
    assert "You have no arena yet." in page and 'href="/arenas/new"' in page


# --- funders ----------------------------------------------------------------------------------------

def test_funder_sees_instruments_fitting_needs_seeking_collaborations_and_follows(app, client, auth, make, db, index):
    agency = make.organisation("funding_agency")
    funder = make.user(agency)
    ward = make.organisation("clinical_department", name="Geriatric ward")
    need = index(make.need(ward, title="Night-time falls", description=FALLS, published_at=utcnow()))
    own = instrument(make, agency, title="Pilots against falls")
    instrument(make, make.organisation("funding_agency"), title="Another agency's call")
    pilot = collaboration(make, need, make.capability(title="BedWatch radar"), proposed_by=ward, stage="accepted")
    make._save(FundingLink(collaboration_id=pilot.id, instrument_id=own.id))
    make._save(Follow(user_id=funder.id, need_id=need.id))
    auth.login(funder)
    page = page_of(client)
    assert "Pilots against falls" in page and "Another agency" not in page
    assert "1 collaboration seeks this instrument." in page and f'href="/collaborations/{pilot.id}"' in page
    desk = section(page, "instruments")
    assert "Night-time falls" in desk and ">new<" in desk
    assert "Night-time falls" in section(page, "followed")
    assert 'href="/funding/fitting"' in page and 'href="/indicators"' in page


def test_funder_without_instruments_is_told_to_describe_one(client, auth, make):
    auth.login(make.user(kind="funding_agency"))
    page = page_of(client)
    assert "Your agency has no funding instrument yet." in page and "You follow nothing yet." in page


# --- a declined organisation ------------------------------------------------------------------------

def test_a_declined_organisations_member_reads_why(client, auth, make):
    admin = make.user(is_admin=True)
    organisation = make.organisation("supplier", approved=False, name="Doubtful AS", declined_at=utcnow(),
                                     declined_by_id=admin.id, decline_reason="No organisation number given.")
    auth.login(make.user(organisation))
    page = page_of(client)
    assert "An administrator declined Doubtful AS" in page and "No organisation number given." in page
    assert "awaits approval" not in page


# --- cost -------------------------------------------------------------------------------------------

def founder_with_waiting_items(make, count: int):
    founder = make.user(kind="supplier")
    arena = make.arena(slots=max(count, 1), tables=1)
    me = make.participant(arena, founder)
    for _ in range(count):
        ward = make.organisation("clinical_department", parent_id=make.organisation("health_trust").id)
        asking = make.participant(arena, make.user(ward))
        make.meeting(arena, asking, me, status="pending")
        later = make.arena(slots=1, tables=1)
        placed(make, make.meeting(later, make.participant(later, make.user(ward)), make.participant(later, founder)))
        collaboration(make, make.need(ward), make.capability(founder.organisation), proposed_by=ward)
    return founder


def test_the_founder_dashboard_asks_the_same_number_of_queries_for_one_item_or_many(client, auth, make, engine):
    counts = []
    for items in (1, 4):
        auth.login(founder_with_waiting_items(make, items))
        with counted_queries(engine) as statements:
            page = page_of(client)
        assert f"{items} meeting request" in page
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 25, counts


def test_the_organiser_dashboard_asks_the_same_number_of_queries_for_one_arena_or_many(client, auth, make, engine):
    counts = []
    for arenas in (1, 4):
        organiser = make.organisation("arena_organiser")
        for _ in range(arenas):
            arena = make.arena(organiser, status="closed")
            make.participant(arena, kind="supplier", status="pending")
        auth.login(make.user(organiser))
        with counted_queries(engine) as statements:
            page_of(client)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts



def test_the_funder_dashboard_asks_the_same_number_of_queries_for_one_instrument_or_many(
        client, auth, make, engine, index):
    trust = make.organisation("health_trust")
    index(*[make.need(make.organisation("clinical_department", parent_id=trust.id), description=FALLS)
            for _ in range(4)])
    counts = []
    for instruments in (1, 3):
        agency = make.organisation("funding_agency")
        for n in range(instruments):
            instrument(make, agency, title=f"Call {n}")
        auth.login(make.user(agency))
        page_of(client)  # the first view embeds the instruments
        with counted_queries(engine) as statements:
            page_of(client)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
