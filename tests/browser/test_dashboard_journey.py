"""Each role signs in and its dashboard says what waits for it, one click from where it acts; and
a declined organisation: the administrator declines it with a reason, its member signs in and reads it."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from matchmaker.models import FundingLink
from matchmaker.models.types import utcnow
from tests.browser.steps import sign_in, sign_out
from tests.test_dashboards import collaboration, instrument


def seed_world(seed) -> dict:
    """A founder asked for a meeting and invited to a test, a clinician with terms to agree to,
    an organiser whose closed arena has a registration and a meeting waiting, and a funder."""
    trust = seed.organisation("health_trust", name="St. Olavs hospital")
    ward = seed.organisation("clinical_department", name="Akuttmottaket", parent_id=trust.id)
    clinician = seed.user(ward, name="Kari Nordmann")
    founder = seed.user(kind="supplier", name="Frida Founder")
    organiser = seed.user(seed.organisation("arena_organiser", name="Norway Health Tech"), name="Olga Organiser")
    open_day = seed.arena(organiser.organisation, title="Emergency care day")
    seed.meeting(open_day, seed.participant(open_day, clinician), seed.participant(open_day, founder),
                 status="pending", note="Could your triage app help our emergency department?")
    closed_day = seed.arena(organiser.organisation, title="Closed arena", status="closed")
    seed.participant(closed_day, kind="supplier", status="pending")
    seed.meeting(closed_day, seed.participant(closed_day, kind="supplier"),
                 seed.participant(closed_day, kind="clinical_department"))
    product = seed.capability(founder.organisation, title="TriageNow")
    invited = collaboration(seed, seed.need(ward, title="Crowded waiting room"), product, proposed_by=ward)
    accepted = collaboration(seed, seed.need(ward, title="Slow triage at night"), product,
                             proposed_by=founder.organisation, stage="accepted", supplier_agreed_version=1)
    agency = seed.organisation("funding_agency", name="Innovation Norway")
    funder = seed.user(agency, name="Fredrik Funder")
    call = instrument(seed, agency, title="Public R&D contracts")
    seed._save(FundingLink(collaboration_id=accepted.id, instrument_id=call.id))
    return {"clinician": clinician, "founder": founder, "organiser": organiser, "funder": funder,
            "invited": invited, "open_day": open_day, "closed_day": closed_day}


def test_each_roles_dashboard_shows_what_waits_for_it(page: Page, live_app, seed, screenshot):
    world = seed_world(seed)

    sign_in(page, world["founder"])
    waiting = page.locator("#waiting")
    expect(waiting).to_contain_text("1 meeting request waits for your answer.")
    expect(waiting).to_contain_text("Kari Nordmann, Akuttmottaket, St. Olavs hospital asks to meet you")
    expect(waiting).to_contain_text("1 collaboration proposal waits for your answer.")
    screenshot(page, "founder")
    waiting.get_by_role("button", name="Answer the request").click()
    expect(page).to_have_url(f"{page.url.split('/arenas')[0]}/arenas/{world['open_day'].id}/requests")
    page.go_back()
    page.locator("#waiting").get_by_role("button", name="Answer the proposal").click()
    expect(page.get_by_role("heading", name="Crowded waiting room", level=1)).to_be_visible()
    sign_out(page)

    sign_in(page, world["clinician"])
    expect(page.locator("#waiting")).to_contain_text("1 collaboration waits for you to agree to its terms.")
    expect(page.locator("#waiting")).not_to_contain_text("meeting request")  # Kari asked; Frida answers
    screenshot(page, "clinician")
    sign_out(page)

    sign_in(page, world["organiser"])
    closed = page.locator(f"#arena-desk-{world['closed_day'].id}")
    expect(closed).to_contain_text("Requests closed")
    expect(closed).to_contain_text("1 registration waits for your approval.")
    open_day = page.locator(f"#arena-desk-{world['open_day'].id}")
    expect(open_day).to_contain_text("1 meeting request is not answered yet.")
    screenshot(page, "organiser")
    closed.get_by_role("button", name="Run the scheduler").click()
    expect(page).to_have_url(f"{page.url.split('/arenas')[0]}/arenas/{world['closed_day'].id}/schedule")
    page.go_back()
    sign_out(page)

    sign_in(page, world["funder"])
    instruments = page.locator("#instruments")
    expect(instruments).to_contain_text("Public R&D contracts")
    expect(instruments).to_contain_text("1 collaboration seeks this instrument.")
    expect(instruments.get_by_role("link", name="Slow triage at night")).to_be_visible()
    expect(page.locator("#followed")).to_contain_text("You follow nothing yet.")
    screenshot(page, "funder")


def test_a_declined_organisation_reads_why_when_it_signs_in(page: Page, live_app, seed, screenshot):
    admin = seed.user(is_admin=True, name="Ada Admin")
    doubtful = seed.organisation("supplier", approved=False, name="Doubtful Devices AS",
                                 created_at=utcnow() - timedelta(days=1))
    member = seed.user(doubtful, name="Dan Doubtful")
    seed.organisation("supplier", approved=False, name="Another Start-up AS")

    sign_in(page, admin)
    page.get_by_role("navigation").get_by_role("link", name="Administration").click()
    page.get_by_label("Name").fill("doubtful")
    page.get_by_role("button", name="Search").click()
    row = page.locator("#admin-organisations tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Dan Doubtful")
    row.get_by_text("Decline…").click()
    row.get_by_label("Why is Doubtful Devices AS declined?").fill("We could not verify the organisation number.")
    screenshot(page, "admin-declines")
    row.get_by_role("button", name="Decline Doubtful Devices AS").click()
    expect(page.get_by_role("status").first).to_contain_text("Doubtful Devices AS is declined")
    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("#audit-entries")).to_contain_text(
        "Ada Admin declined the organisation Doubtful Devices AS: We could not verify the organisation number.")
    screenshot(page, "audit-log")
    sign_out(page)

    sign_in(page, member)
    notice = page.locator("#declined-notice")
    expect(notice).to_contain_text("An administrator declined Doubtful Devices AS")
    expect(notice).to_contain_text("We could not verify the organisation number.")
    screenshot(page, "member-dashboard")
