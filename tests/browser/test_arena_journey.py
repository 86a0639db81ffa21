"""A meeting arena from request to agenda: a supplier asks a clinician for a meeting, the clinician
accepts, the organiser schedules and publishes, and both find the meeting in their agendas."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from matchmaker.matching.runtime import get_encoder
from matchmaker.matching.store import refresh_profiles
from matchmaker.models import Arena, User
from tests.browser.steps import sign_in, sign_out

SENSOR = ("A radar sensor next to the bed notices when a frail patient gets up at night and alerts the nurse "
          "on duty before a fall happens.")
WARD_NEED = ("Patients on our geriatric ward fall at night when they get up alone to go to the toilet. "
             "Night staff notice too late.")
NOTE = "Could we show you BedWatch on your ward's night shift?"
TABLE = re.compile(r"^Table [12]$")


def seed_arena(live_app, seed) -> tuple[Arena, User, User, User]:
    """An open arena with an organiser, and an approved supplier and clinician whose profiles match."""
    organiser_org = seed.organisation("arena_organiser", name="Health Innovation Arena Ltd")
    organiser = seed.user(organiser_org, name="Olga Organiser")
    arena = seed.arena(organiser_org, slots=3, tables=2, title="Night-care arena")
    supplier = seed.user(kind="supplier", name="Frida Founder")
    clinician = seed.user(kind="clinical_department", name="Dr Nils Nightshift")
    product = seed.capability(supplier.organisation, title="BedWatch radar", description=SENSOR,
                              clinical_areas=["geriatrics"], care_settings=["inpatient"], trl=6)
    need = seed.need(clinician.organisation, title="Night-time falls on the ward", description=WARD_NEED,
                     clinical_areas=["geriatrics"], care_settings=["inpatient"], trl_min=5, trl_max=8)
    with live_app.app_context():
        refresh_profiles(seed.db, [product, need], get_encoder(live_app))
    seed.db.commit()
    seed.participant(arena, user=supplier, profile=product)
    seed.participant(arena, user=clinician, profile=need)
    return arena, organiser, supplier, clinician


def test_request_accept_schedule_publish_and_agenda(page: Page, live_app, seed, screenshot):
    arena, organiser, supplier, clinician = seed_arena(live_app, seed)

    sign_in(page, supplier)
    open_arena_page(page, arena, "People and recommendations")
    request_meeting(page, clinician)
    screenshot(page, "1-request-sent")
    sign_out(page)

    sign_in(page, clinician)
    expect(unread_badge(page)).to_have_text("1")  # the request
    open_arena_page(page, arena, "My requests")
    waiting = expect_request_from(page, supplier)
    screenshot(page, "2-request-waiting")
    accept_request(page, waiting, supplier)
    screenshot(page, "3-request-accepted")
    read_notifications(page)
    expect(unread_badge(page)).to_have_count(0)
    sign_out(page)

    sign_in(page, organiser)
    open_arena_page(page, arena, "Schedule")
    schedule_and_publish(page, supplier, clinician)
    screenshot(page, "4-schedule-published")
    sign_out(page)

    sign_in(page, clinician)
    expect(unread_badge(page)).to_have_text("1")  # the published agenda
    open_arena_page(page, arena, "My agenda")
    expect_agenda_meeting(page, arena, supplier)
    screenshot(page, "5-clinician-agenda")
    expect(read_notifications(page)).to_contain_text(f"Your agenda for {arena.title} is published")
    sign_out(page)

    sign_in(page, supplier)
    open_arena_page(page, arena, "My agenda")
    expect_agenda_meeting(page, arena, clinician)
    screenshot(page, "6-supplier-agenda")


def open_arena_page(page: Page, arena: Arena, menu_item: str) -> None:
    """Opens the arena's page and follows one link of the arena menu."""
    page.goto(f"/arenas/{arena.id}")
    expect(page.get_by_role("heading", name=arena.title, level=1)).to_be_visible()
    page.get_by_role("navigation", name="Arena").get_by_role("link", name=menu_item, exact=True).click()


def request_meeting(page: Page, clinician: User) -> None:
    """Picks the clinician from the recommendations and sends a request with a note."""
    recommendation = page.locator("article.recommendation").filter(has_text=clinician.name)
    expect(recommendation).to_contain_text("Night-time falls on the ward")
    recommendation.get_by_role("button", name="Request a meeting").click()
    expect(page.get_by_role("heading", name=f"Request a meeting with {clinician.name}")).to_be_visible()
    page.get_by_label("Note", exact=True).fill(NOTE)
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("status")).to_contain_text(f"Request sent to {clinician.name}")
    sent = page.get_by_role("row").filter(has_text=clinician.name)
    expect(sent).to_contain_text("waiting for an answer")
    expect(sent).to_contain_text(NOTE)


def expect_request_from(page: Page, supplier: User) -> Locator:
    """The supplier's request waits for an answer, with their note; returns it."""
    waiting = page.locator("article.meeting-request").filter(has_text=supplier.name)
    expect(waiting).to_have_count(1)
    expect(waiting.get_by_text(NOTE)).to_be_visible()
    return waiting


def accept_request(page: Page, waiting: Locator, supplier: User) -> None:
    """Accepts the waiting request, which then shows among the accepted meetings."""
    waiting.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_contain_text("Meeting accepted.")
    expect(page.get_by_text("Nothing is waiting for you.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=supplier.name)).to_contain_text("accepted")


def schedule_and_publish(page: Page, supplier: User, clinician: User) -> None:
    """Runs the scheduler, finds the meeting in the grid and publishes the schedule."""
    page.get_by_role("button", name="Run the scheduler").click()
    expect(page.get_by_role("status")).to_contain_text("The scheduler placed 1 meeting.")
    meeting = page.locator("table.schedule-grid td.cell-meeting")
    expect(meeting).to_have_count(1)
    # Each person with their organisation, one to a line.
    people = meeting.get_by_role("link").locator(".grid-person")
    expect(people).to_have_text([f"{supplier.name}, {supplier.organisation.name}",
                                  f"{clinician.name}, {clinician.organisation.name}"])
    expect(page.get_by_text("Every accepted meeting is in the schedule.")).to_be_visible()
    page.get_by_role("button", name="Publish the schedule").click()
    expect(page.get_by_role("status")).to_contain_text("Schedule published: 1 new meeting is in")
    expect(page.locator("table.schedule-grid td.cell-published")).to_contain_text("published")


def expect_agenda_meeting(page: Page, arena: Arena, other: User) -> None:
    """The agenda lists one meeting with the other person at a table, and offers it as a calendar file."""
    expect(page.get_by_role("heading", name="My agenda")).to_be_visible()
    row = page.locator("table.agenda tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(1)).to_have_text(TABLE)
    expect(row.get_by_role("cell").nth(2)).to_contain_text(other.name)
    calendar = page.get_by_role("button", name="Add to calendar (.ics)")
    expect(calendar).to_have_attribute("href", f"/arenas/{arena.id}/agenda.ics")
    download = page.request.get(calendar.get_attribute("href"))
    assert download.ok and download.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in download.text()


def unread_badge(page: Page) -> Locator:
    """The count of unread notifications next to "Notifications" in the header."""
    return page.locator("header a.notifications-link .badge")


def read_notifications(page: Page) -> Locator:
    """Opens the notification list from the header, which marks everything read; returns the list."""
    page.get_by_role("link", name=re.compile(r"^Notifications")).click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    return page.locator("ul.notifications")
