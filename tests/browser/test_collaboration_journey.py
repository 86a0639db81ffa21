"""From a match to a test in a real clinic: a founder proposes a test collaboration from a matched
need, the department accepts, both agree to the terms, the department starts testing, and the
trust's indicators page shows the collaboration in testing."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from matchmaker.matching.runtime import get_encoder
from matchmaker.matching.store import refresh_profiles
from matchmaker.models import User
from tests.browser.steps import sign_in, sign_out

SENSOR = ("A radar sensor next to the bed notices when a frail patient gets up at night and alerts the nurse "
          "on duty before a fall happens.")
WARD_NEED = ("Patients on our geriatric ward fall at night when they get up alone to go to the toilet. "
             "Night staff notice too late.")
NEED_TITLE = "Night-time falls on the ward"


def seed_world(live_app, seed) -> tuple[User, User]:
    """A founder with one product, and a department of a trust whose need it fits."""
    founder = seed.user(kind="supplier", name="Frida Founder")
    trust = seed.organisation("health_trust", name="Helse Midt Trust")
    ward = seed.organisation("clinical_department", name="Geriatric ward", parent_id=trust.id)
    clinician = seed.user(ward, name="Carl Clinician")
    product = seed.capability(founder.organisation, title="BedWatch radar", description=SENSOR,
                              clinical_areas=["geriatrics"], care_settings=["inpatient"], trl=6)
    need = seed.need(ward, title=NEED_TITLE, description=WARD_NEED, clinical_areas=["geriatrics"],
                     care_settings=["inpatient"], trl_min=5, trl_max=8)
    with live_app.app_context():
        refresh_profiles(seed.db, [product, need], get_encoder(live_app))
    seed.db.commit()
    return founder, clinician


def test_proposal_from_a_match_reaches_testing_and_the_indicators(page: Page, live_app, seed, screenshot):
    founder, clinician = seed_world(live_app, seed)
    sign_in(page, founder)
    propose_from_match(page)
    screenshot(page, "proposed")
    sign_out(page)

    sign_in(page, clinician)
    open_collaboration(page)
    page.get_by_role("button", name="Accept the proposal").click()
    expect(page.get_by_role("status")).to_contain_text("The collaboration is now accepted.")
    page.get_by_role("button", name="Agree to these terms").click()
    expect(page.get_by_text("waiting for the other side")).to_be_visible()
    sign_out(page)

    sign_in(page, founder)
    open_collaboration(page)
    page.get_by_role("button", name="Agree to these terms").click()
    expect(page.locator(".stage-track li.current")).to_have_text("agreement")
    sign_out(page)

    sign_in(page, clinician)
    open_collaboration(page)
    page.get_by_role("button", name="Start testing").click()
    expect(page.locator(".stage-track li.current")).to_have_text("testing")
    screenshot(page, "testing")
    expect_indicators_show_testing(page)
    screenshot(page, "indicators")


def propose_from_match(page: Page) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Matches", exact=True).click()
    card = page.locator("article.match-card").filter(has_text=NEED_TITLE)
    card.get_by_role("button", name="Propose a test collaboration").click()
    expect(page.get_by_role("heading", name="Propose a test collaboration")).to_be_visible()
    expect(page.get_by_label("Intellectual property")).to_contain_text("Each party keeps the rights it brings")
    page.get_by_label("Scope").fill("Three-month pilot of BedWatch radar on the geriatric ward, counting falls.")
    page.get_by_label("Test type").select_option(label="Pilot")  # nothing is chosen for the proposer
    page.get_by_role("button", name="Send the proposal").click()
    expect(page.get_by_role("status")).to_contain_text("Proposal sent to Geriatric ward")
    expect(page.get_by_role("heading", name=NEED_TITLE, level=1)).to_be_visible()


def open_collaboration(page: Page) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Collaborations").click()
    page.get_by_role("link", name=NEED_TITLE).first.click()
    expect(page.get_by_role("heading", name=NEED_TITLE, level=1)).to_be_visible()


def expect_indicators_show_testing(page: Page) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Indicators").click()
    chart = page.locator("#chart-stages")
    expect(chart.locator("svg")).to_be_visible()
    expect(chart.locator("tr").filter(has_text="testing").locator("td")).to_have_text("1")
    expect(chart.locator("tr").filter(has_text="proposed").locator("td")).to_have_text("0")
