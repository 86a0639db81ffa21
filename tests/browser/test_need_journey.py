"""A clinician publishes a need in the browser and then finds it again by searching."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

TITLE = "Faster stroke imaging at night"
DESCRIPTION = ("After a suspected stroke at night, patients wait over an hour for a CT scan "
               "because the radiographer on call has to come in from home.")
SEARCH_WORD = "imaging"


def test_clinician_publishes_a_need_and_finds_it(page: Page, seed, clinician, sign_in, screenshot):
    other_need = seed.need(title="Night-time falls on the ward")
    sign_in(clinician)

    open_new_need_form(page)
    fill_need_form(page)
    page.get_by_role("button", name="Save and publish").click()
    expect(page.get_by_role("status")).to_contain_text("Published")
    expect_need_detail(page)

    search_needs(page, SEARCH_WORD)
    expect(page.get_by_text("1 profile found")).to_be_visible()
    expect(page.get_by_role("link", name=other_need.title)).to_have_count(0)
    result = page.get_by_role("link", name=TITLE)
    expect(result).to_be_visible()
    screenshot(page, "browse")

    result.click()  # fails, too, if anything on the page covers the link
    expect_need_detail(page)
    screenshot(page, "detail")


def open_new_need_form(page: Page) -> None:
    """Starts where a clinician does: the dashboard's "New need" button."""
    page.get_by_role("button", name="New need").click()
    expect(page.get_by_role("heading", name="New need", level=1)).to_be_visible()


def fill_need_form(page: Page) -> None:
    """Fills what a clinician would: the summary, where it applies, and the maturity wanted."""
    page.get_by_role("textbox", name="Title", exact=True).fill(TITLE)
    page.get_by_label("The problem and its consequences").fill(DESCRIPTION)
    page.get_by_label("Language of this profile").select_option(label="English")
    page.get_by_role("group", name="Clinical areas").get_by_label("Stroke", exact=True).check()
    page.get_by_role("group", name="Care settings").get_by_label("Emergency department").check()
    page.get_by_label("Maturity wanted: lowest TRL").fill("4")
    page.get_by_label("Maturity wanted: highest TRL").fill("7")


def expect_need_detail(page: Page) -> None:
    """The detail page shows what the form was given."""
    expect(page).to_have_url(re.compile(r"/needs/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect(page.get_by_text(DESCRIPTION)).to_be_visible()
    for tag in ("Stroke", "Emergency department", "TRL 4–7 wanted"):
        expect(page.get_by_role("main").get_by_text(tag, exact=True)).to_be_visible()
    # Unticked yes/no fields are left out, not shown as "False".
    expect(page.get_by_role("main").get_by_text("False", exact=True)).to_have_count(0)


def search_needs(page: Page, word: str) -> None:
    """Goes to the needs list through the menu and searches with the search box."""
    page.get_by_role("navigation").get_by_role("link", name="Needs", exact=True).click()
    expect(page.get_by_role("heading", name="Needs of clinical departments")).to_be_visible()
    page.get_by_label("Search text").fill(word)
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(rf"/needs\?(.*&)?q={word}(&|$)"))
