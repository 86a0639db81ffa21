"""Steps every browser journey shares: signing in and out through the pages, as a person would."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from matchmaker.models import User
from tests.factories import PASSWORD


def sign_in(page: Page, user: User) -> None:
    """Signs in through the login form and lands on the dashboard."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=f"Hello, {user.name}")).to_be_visible()


def sign_out(page: Page) -> None:
    """Signs out with the header's button, so the next person starts afresh."""
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
