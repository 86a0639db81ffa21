"""A clinician invites a colleague; the colleague opens the link from the e-mail, registers into
the department, and edits the department's need."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect
from sqlalchemy import select

from matchmaker.models import User
from matchmaker.models.activity import OutboxEmail
from tests.browser.steps import sign_out
from tests.factories import PASSWORD

COLLEAGUE = "cleo.colleague@example.org"
NEW_TITLE = "Falls at night on the geriatric ward"


def test_an_invited_colleague_joins_and_edits_the_need(page: Page, seed, sign_in, screenshot):
    department = seed.organisation("clinical_department", name="Geriatric ward, Haukeland")
    clinician = seed.user(department, organisation_role="admin", name="Ada Clinician")
    need = seed.need(department, title="Night-time falls")
    sign_in(clinician)

    invite_colleague(page, department.name)
    screenshot(page, "members")
    sign_out(page)

    page.goto(invitation_path(seed))
    expect(page.get_by_text(f"You are invited to join {department.name}")).to_be_visible()
    register(page)
    expect(page.get_by_role("status")).to_contain_text(f"Welcome to {department.name}!")

    edit_need_title(page, need.title)
    expect(page.get_by_role("heading", level=1)).to_contain_text(NEW_TITLE)
    screenshot(page, "edited need")
    seed.db.rollback()  # a fresh transaction sees what the server committed
    assert seed.db.scalar(select(User.organisation_id).where(User.email == COLLEAGUE)) == department.id


def invite_colleague(page: Page, organisation: str) -> None:
    """From the dashboard to the members page, where the invitation form is."""
    page.get_by_role("link", name=f"Members of {organisation}").click()
    expect(page.get_by_role("heading", name=f"Members of {organisation}", level=1)).to_be_visible()
    page.get_by_label("Your colleague's e-mail").fill(COLLEAGUE)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text(f"The invitation is on its way to {COLLEAGUE}")
    expect(page.locator("#invitations")).to_contain_text(COLLEAGUE)


def invitation_path(seed) -> str:
    """The link in the e-mail waiting in the outbox, as this site's path."""
    email = seed.db.scalar(select(OutboxEmail).where(OutboxEmail.to_address == COLLEAGUE))
    link = re.search(r"\S*/invitations/\S+", email.body).group(0)
    return urlsplit(link).path


def register(page: Page) -> None:
    page.get_by_label("Your name").fill("Cleo Colleague")
    page.get_by_label("E-mail").fill(COLLEAGUE)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Hello, Cleo Colleague")).to_be_visible()


def edit_need_title(page: Page, title: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Needs", exact=True).click()
    page.get_by_role("link", name=title).click()
    page.get_by_role("button", name="Edit").click()
    page.get_by_role("textbox", name="Title", exact=True).fill(NEW_TITLE)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(r"/needs/\d+$"))
