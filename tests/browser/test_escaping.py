"""Markup typed into a profile is shown as text and never runs in another user's browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Dialog, Page, expect

PAYLOAD = "<script>alert(1)</script>"


@pytest.mark.parametrize("path", ["/dashboard", "/needs", "/needs/{id}"])
def test_script_in_a_need_is_shown_literally(page: Page, seed, clinician, sign_in, path):
    need = seed.need(clinician.organisation, title=f"Bed sensor {PAYLOAD}",
                     description=f"Alarms reach the nurse too late. {PAYLOAD} Falls go unnoticed.")
    dialogs = record_dialogs(page)
    sign_in(clinician)

    page.goto(path.format(id=need.id))

    expect(page.get_by_text(need.title, exact=True).first).to_be_visible()
    # The page's CSP would block an injected inline script anyway, so an absent dialog alone
    # proves little; no <script> element in the content shows the markup was escaped.
    expect(page.locator("main script")).to_have_count(0)
    assert dialogs == []


def record_dialogs(page: Page) -> list[str]:
    """Collects the message of every alert/confirm/prompt, dismissing it so the page goes on."""
    messages: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        messages.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return messages
