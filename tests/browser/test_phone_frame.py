"""The frame on a phone (390 px) and a laptop (1280 px): a menu button that opens the menu without
any script, no page that scrolls sideways, filters folded above the matches, and slow buttons
that say they are working while the pressed button's value still reaches the server."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from matchmaker.matching.runtime import get_encoder
from matchmaker.matching.store import refresh_profiles
from matchmaker.models import Collaboration, CollaborationTerms, FundingInstrument
from tests.browser.steps import sign_in

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
LONG_WORD = "Pasientforløpskoordineringsløsningsleverandørsamarbeidsavtale"


def seed_world(live_app, seed):
    """A founder, a department with a need whose long words could push a page wide, a funder
    with an instrument, and one proposed collaboration."""
    founder = seed.user(kind="supplier", name="Frida Founder")
    trust = seed.organisation("health_trust", name="St. Olavs hospital")
    ward = seed.organisation("clinical_department", name="Akuttmottaket", parent_id=trust.id)
    clinician = seed.user(ward, name="Kari Nordmann")
    funder = seed.user(kind="funding_agency", name="Finn Funder")
    product = seed.capability(founder.organisation, title="BedWatch radar", clinical_areas=["geriatrics"], trl=6,
                              description=f"A radar next to the bed alerts the nurse before a fall. {LONG_WORD}.")
    need = seed.need(ward, title=f"Falls at night {LONG_WORD}", clinical_areas=["geriatrics"],
                     description=f"Patients fall at night on the way to the toilet. {LONG_WORD} {LONG_WORD}.")
    seed._save(FundingInstrument(
        organisation_id=funder.organisation_id, title="Pilot grants for welfare technology", language="en",
        description="Funds pilots of welfare technology in hospitals and municipal care.", status="published",
        applicants=["consortium", "health_trust"], purposes=["pilot"], currency="NOK", clinical_areas=[],
        countries=[], passages=[], requirements="", url=""))
    collaboration = seed._save(Collaboration(
        need=need, capability=product, supplier_id=founder.organisation_id, department_id=ward.id,
        proposed_by_id=founder.organisation_id,
        terms=[CollaborationTerms(version=1, scope=f"A pilot on ward 3. {LONG_WORD}", test_type="pilot")]))
    with live_app.app_context():
        refresh_profiles(seed.db, [product, need], get_encoder(live_app))
    seed.db.commit()
    return founder, clinician, funder, collaboration


def scrolls_sideways(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


def phone_page(browser: Browser, live_server: str) -> Page:
    context = browser.new_context(base_url=live_server, locale="en-GB", viewport=PHONE, is_mobile=True,
                                  has_touch=True)
    context.set_default_timeout(10_000)
    return context.new_page()


def test_the_phone_menu_opens_and_no_page_scrolls_sideways(browser, live_server, live_app, seed, screenshot):
    founder, _clinician, funder, collaboration = seed_world(live_app, seed)
    page = phone_page(browser, live_server)
    sign_in(page, founder)
    menu = page.locator("details.phone-menu")
    expect(page.locator("nav.wide-menu")).to_be_hidden()
    expect(menu.get_by_role("link", name="Collaborations")).to_be_hidden()
    screenshot(page, "phone-closed")
    menu.get_by_text("Menu").click()
    expect(menu.get_by_role("link", name="Collaborations")).to_be_visible()
    screenshot(page, "phone-open")
    menu.get_by_role("link", name="Collaborations").click()
    expect(page.get_by_role("heading", name="Test and verification collaborations")).to_be_visible()

    pages = ["/dashboard", "/needs", "/capabilities", "/matches", "/match", "/collaborations",
             f"/collaborations/{collaboration.id}", "/funding", "/organisations", "/arenas", "/account",
             "/notifications", f"/needs/{collaboration.need_id}"]
    for path in pages:
        page.goto(path)
        assert not scrolls_sideways(page), path
    page.locator("details.phone-menu").get_by_text("Menu").click()
    page.locator("details.phone-menu").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    sign_in(page, funder)
    for path in ("/funding/fitting", "/funding/following", "/dashboard"):
        page.goto(path)
        assert not scrolls_sideways(page), path
        screenshot(page, "phone-" + path.strip("/").replace("/", "-"))
    page.context.close()


def test_filters_fold_above_the_matches_on_a_phone_and_open_on_a_laptop(browser, live_server, live_app, seed,
                                                                        screenshot):
    founder, *_rest = seed_world(live_app, seed)
    page = phone_page(browser, live_server)
    sign_in(page, founder)
    page.goto("/matches")
    filters = page.locator("details.filters-panel")
    expect(filters).not_to_have_attribute("open", "")
    expect(page.get_by_label("Country")).to_be_hidden()
    assert page.evaluate("document.querySelector('details.filters-panel').getBoundingClientRect().bottom") <= \
        page.evaluate("document.querySelector('article.match-card').getBoundingClientRect().top")
    filters.get_by_text("Filters").click()
    expect(page.get_by_label("Country")).to_be_visible()
    screenshot(page, "phone-filters")
    page.context.close()

    laptop = browser.new_context(base_url=page.url.split("/matches")[0], locale="en-GB", viewport=LAPTOP).new_page()
    sign_in(laptop, founder)
    laptop.goto("/matches")
    expect(laptop.get_by_label("Country")).to_be_visible()
    expect(laptop.locator("nav.wide-menu").get_by_role("link", name="Collaborations")).to_be_visible()
    expect(laptop.locator("details.phone-menu")).to_be_hidden()
    laptop.context.close()


def test_a_slow_button_says_it_is_working_and_its_value_reaches_the_server(page: Page, live_app, seed):
    _founder, _clinician, funder, _collaboration = seed_world(live_app, seed)
    sign_in(page, funder)
    page.goto("/funding/new")
    page.get_by_label("Name of the instrument").fill("Pre-project grants for trusts")
    page.get_by_label("What it is for").fill("Funds pre-projects that prepare a pilot in a health trust.")
    page.get_by_label("Health trust or clinical department").check()
    page.get_by_label("Pre-project", exact=True).check()
    page.get_by_label("Rolling call").check()
    # The page is left as soon as the server answers, so the busy state is noted as it happens.
    page.evaluate("""() => new MutationObserver((changes, observer) => {
        const button = document.querySelector("button[aria-busy='true']");
        if (!button) return;
        const draft = document.querySelector("button[value='draft']");
        sessionStorage.setItem("busy", JSON.stringify({text: button.textContent, disabled: button.disabled,
                                                       draftDisabled: draft.disabled}));
        observer.disconnect();
      }).observe(document.body, {attributes: true, subtree: true, childList: true, characterData: true})""")
    page.get_by_role("button", name="Save and publish").click()
    expect(page.get_by_role("status")).to_contain_text("Published.")  # the button's value reached the server
    seen = page.evaluate("JSON.parse(sessionStorage.getItem('busy'))")
    assert seen == {"text": "Publishing…", "disabled": True, "draftDisabled": True}
