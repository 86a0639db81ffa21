"""A founder proposes a test from a match: the proposal is refused while its scope is still the
template's prompt, with everything typed kept, and goes once the founder has chosen a test type
and written the scope. The department then declines, giving its reason at the Decline button."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.steps import sign_in, sign_out
from tests.browser.test_collaboration_journey import NEED_TITLE, open_collaboration, seed_world

SITE = "Geriatric ward 3, second floor"
SCOPE = "Three-month pilot of BedWatch radar on ward 3, counting falls at night before and after."


def open_proposal_from_match(page: Page) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Matches", exact=True).click()
    card = page.locator("article.match-card").filter(has_text=NEED_TITLE)
    card.get_by_role("button", name="Propose a test collaboration").click()
    expect(page.get_by_role("heading", name="Propose a test collaboration")).to_be_visible()


def test_a_proposal_is_refused_while_its_scope_is_the_template(page: Page, live_app, seed, screenshot):
    founder, clinician = seed_world(live_app, seed)
    sign_in(page, founder)
    open_proposal_from_match(page)
    scope = page.get_by_label("Scope")
    prompt = scope.input_value()
    assert "how success is measured" in prompt
    test_type = page.get_by_label("Test type")
    expect(test_type).to_have_value("")  # "Choose…": no test type chosen for the founder
    expect(page.get_by_label("A data protection impact assessment (DPIA) is needed")).not_to_be_checked()

    page.get_by_label("Site").fill(SITE)
    test_type.select_option(label="Pilot")
    page.get_by_role("button", name="Send the proposal").click()
    expect(page.get_by_text("The scope is still the template's prompt.")).to_be_visible()
    expect(scope).to_have_attribute("aria-invalid", "true")
    expect(scope).to_have_value(prompt)
    expect(page.get_by_label("Site")).to_have_value(SITE)
    expect(test_type).to_have_value("pilot")
    screenshot(page, "refused")

    scope.fill(SCOPE)
    page.get_by_role("button", name="Send the proposal").click()
    expect(page.get_by_role("status")).to_contain_text("Proposal sent to Geriatric ward")
    expect(page.get_by_text(SCOPE)).to_be_visible()
    sign_out(page)

    sign_in(page, clinician)
    open_collaboration(page)
    decline = page.locator("form.action-form").filter(has=page.get_by_role("button", name="Decline"))
    decline.get_by_label("Why do you decline?").fill("We have no night staff to run a pilot this year.")
    expect(page.get_by_label("What should change?")).to_have_value("")  # the other reasons stay apart
    decline.get_by_role("button", name="Decline").click()
    expect(page.locator(".stage-track li.current")).to_have_text("declined")
    expect(page.get_by_text("We have no night staff to run a pilot this year.")).to_be_visible()
    screenshot(page, "declined")
