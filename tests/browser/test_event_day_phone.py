"""The arena's day on a participant's phone (390 px wide): "now and next" shows the meeting under
way with its table, who and why, then the next one, and nothing makes the page scroll sideways;
the organiser's check-in page fits the same phone."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from matchmaker.models import Arena, User
from matchmaker.models.types import utcnow
from tests.browser.steps import sign_in
from tests.browser.test_agenda_phone import LONG_DEPARTMENT, PHONE, WHY, assert_no_sideways_scroll


def arena_under_way(seed) -> tuple[Arena, User, list[str]]:
    """A supplier's three meetings; the second began five minutes ago."""
    arena = seed.arena(slots=3, tables=3, title="Nordic night-care arena")
    start = utcnow() - timedelta(minutes=25)
    for n, slot in enumerate(arena.slots):
        slot.starts_at, slot.ends_at = start + n * timedelta(minutes=20), start + (n + 1) * timedelta(minutes=20)
    supplier = seed.user(kind="supplier", name="Frida Founder")
    me = seed.participant(arena, user=supplier)
    trust = seed.organisation("health_trust", name="Oslo universitetssykehus HF")
    others = []
    for n, slot in enumerate(arena.slots):
        department = seed.organisation("clinical_department", name=f"{LONG_DEPARTMENT} {n + 1}", parent=trust)
        other = seed.participant(arena, user=seed.user(department, name=f"Dr Nils Nattvakt {n + 1}"))
        meeting = seed.meeting(arena, me, other, note="Could we show you BedWatch?")
        meeting.match_reason = {"passages": [[WHY, f"{WHY} ({n + 1})"]]}
        meeting.place(slot, arena.tables[n])
        meeting.published_at = utcnow()
        others.append(other.display_name)
    arena.schedule_published_at = utcnow()
    seed.db.commit()
    return arena, supplier, others


def test_now_and_next_on_a_phone(page: Page, seed, screenshot):
    arena, supplier, others = arena_under_way(seed)
    page.set_viewport_size(PHONE)
    sign_in(page, supplier)
    page.goto(f"/arenas/{arena.id}/agenda")
    page.get_by_role("link", name="Now and next").first.click()
    expect(page.get_by_role("heading", name="Now and next")).to_be_visible()
    now = page.locator("#now-current")
    expect(now.locator(".now-table")).to_have_text("Table 2")
    expect(now.locator(".now-who")).to_contain_text(others[1])
    expect(now.locator(".now-why")).to_contain_text(f"{WHY} (2)")
    expect(page.locator("#now-next .now-table")).to_have_text("Table 3")
    expect(page.get_by_role("switch", name="Update this page every minute")).to_be_checked()
    box = now.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert_no_sideways_scroll(page)
    screenshot(page, "now-and-next-390px")


def test_the_check_in_page_fits_the_organisers_phone(page: Page, seed, screenshot):
    arena, _supplier, others = arena_under_way(seed)
    organiser = seed.user(arena.organiser, name="Olga Organiser")
    page.set_viewport_size(PHONE)
    sign_in(page, organiser)
    page.goto(f"/arenas/{arena.id}/check-in")
    page.get_by_role("searchbox", name="Name or organisation").fill("Nattvakt 2")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".check-in-person")).to_have_count(1)
    page.get_by_role("button", name="Checked in").click()
    expect(page.get_by_role("button", name="Undo check-in")).to_be_visible()
    expect(page.locator(".check-in-count")).to_contain_text("1 of 4 participants have arrived.")
    assert_no_sideways_scroll(page)
    screenshot(page, "check-in-390px")
    page.goto(f"/arenas/{arena.id}/schedule")
    expect(page.locator(".grid-person.arrived")).to_contain_text(others[1])
