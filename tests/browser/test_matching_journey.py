"""A founder opens the clinical needs matched to their product, narrows them by care setting
and reads why each one matched."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from matchmaker.matching.runtime import get_encoder
from matchmaker.matching.store import refresh_profiles

SENSOR = ("A radar sensor next to the bed notices when a frail patient gets up at night and alerts the nurse "
          "on duty before a fall happens.")
WARD_NEED = ("Patients on our geriatric ward fall at night when they get up alone to go to the toilet. "
             "Night staff notice too late.")
HOME_NEED = ("Elderly people living at home fall when they get up at night, and lie on the floor for hours "
             "before the home care service finds them.")


def seed_world(live_app, seed):
    """A supplier with one product, and two needs it fits: one on a ward, one at home."""
    founder = seed.user(kind="supplier", name="Frida Founder")
    product = seed.capability(founder.organisation, title="BedWatch radar", description=SENSOR,
                              clinical_areas=["geriatrics"], care_settings=["inpatient", "home"], trl=6)
    ward = seed.need(title="Night-time falls on the ward", description=WARD_NEED, clinical_areas=["geriatrics"],
                     care_settings=["inpatient"], trl_min=5, trl_max=8)
    home = seed.need(title="Falls at home at night", description=HOME_NEED, care_settings=["home"])
    with live_app.app_context():
        refresh_profiles(seed.db, [product, ward, home], get_encoder(live_app))
    seed.db.commit()
    return founder


def test_founder_filters_matched_needs_and_sees_why(page: Page, live_app, seed, sign_in, screenshot):
    founder = seed_world(live_app, seed)
    sign_in(founder)
    page.get_by_role("navigation").get_by_role("link", name="Matches", exact=True).click()
    expect(page.get_by_role("heading", name="Matched clinical needs")).to_be_visible()
    expect(page.get_by_role("link", name="Night-time falls on the ward")).to_be_visible()
    expect(page.get_by_role("link", name="Falls at home at night")).to_be_visible()

    page.get_by_text("Any care setting").click()
    page.get_by_label("Inpatient ward").check()
    page.get_by_role("button", name="Filter").click()

    expect(page.get_by_role("link", name="Falls at home at night")).to_have_count(0)
    match = page.locator("article.match-card").filter(has_text="Night-time falls on the ward")
    expect(match.get_by_text("Why this match")).to_be_visible()
    expect(match.locator("blockquote").first).to_contain_text("radar sensor")
    expect(match.get_by_text("Geriatrics").first).to_be_visible()
    screenshot(page, "matched-needs")


FRACTURE_AI = ("Our AI reads X-ray images as they are taken and marks likely fractures of the wrist, hip, ankle "
               "and ribs for the radiologist and the emergency physician, so fewer fractures are missed at night.")
NORWEGIAN_NOISE = [
    ("Digital vaktplan", "Vaktplanlegging for sykehusavdelinger: turnus, bytte av vakter og oversikt over "
                         "bemanningen i sanntid, koblet til lønnssystemet."),
    ("Smart kjøleskap for medisiner", "Temperaturovervåkning av medisinkjøleskap på sengeposten, med varsel "
                                      "til apoteket når temperaturen går utenfor grensene."),
    ("Kantine-app", "Pasienter og pårørende bestiller mat fra sykehuskantinen på mobilen og får beskjed "
                    "når maten er klar."),
]


def test_norwegian_search_finds_the_english_product_that_fits(page: Page, live_app, seed, sign_in, screenshot):
    """The search box in Norwegian, the fitting product written in English: it comes first,
    ahead of Norwegian products about something else."""
    clinician = seed.user(kind="clinical_department", name="Kari Nordmann")
    fracture = seed.capability(title="FractureFinder", description=FRACTURE_AI)
    noise = [seed.capability(title=title, description=text, language="nb") for title, text in NORWEGIAN_NOISE]
    with live_app.app_context():
        refresh_profiles(seed.db, [fracture, *noise], get_encoder(live_app))
    seed.db.commit()
    sign_in(clinician)
    page.goto("/match")
    page.get_by_label("Describe your problem or product").fill("AI som finner brudd på røntgenbilder")
    page.get_by_label("Find suppliers").check()
    page.get_by_role("button", name="Search").click()
    first = page.locator("article.match-card").first
    expect(first).to_contain_text("FractureFinder")
    expect(first.locator(".strength")).to_be_visible()
    expect(page.locator(".match-count")).to_be_visible()
    screenshot(page, "norwegian-search")
