"""The organiser's schedule grid with many tables: every table's column is there and can be
scrolled to inside the grid, the time column stays in view, times sit on one line, and the page
says how many meetings are placed and who has none."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from matchmaker.models import Arena, User
from tests.browser.steps import sign_in

TABLES = 16


def busy_arena(seed) -> tuple[Arena, User]:
    """An arena of many tables and accepted meetings the scheduler will spread over them, and one
    approved funder who asked nobody."""
    arena = seed.arena(slots=2, tables=TABLES, title="Big matchmaking day")
    organiser = seed.user(arena.organiser, name="Olga Organiser")
    suppliers = [seed.participant(arena, kind="supplier") for _ in range(TABLES)]
    departments = [seed.participant(arena, kind="clinical_department") for _ in range(TABLES)]
    for supplier, department in zip(suppliers, departments, strict=True):
        seed.meeting(arena, supplier, department)
    seed.participant(arena, user=seed.user(seed.organisation("funding_agency", name="Innovasjon Norge"),
                                           name="Frida Funder"))
    return arena, organiser


@pytest.mark.parametrize("width", [1280, 390])
def test_every_table_of_the_grid_can_be_reached(page: Page, seed, screenshot, width):
    arena, organiser = busy_arena(seed)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, organiser)
    page.goto(f"/arenas/{arena.id}/schedule")
    page.get_by_role("button", name="Run the scheduler").click()
    expect(page.get_by_text(f"{TABLES} of {TABLES} accepted meetings placed.")).to_be_visible()
    expect(page.locator(".without-meeting-list")).to_contain_text("Frida Funder, Innovasjon Norge")
    headers = page.locator("table.schedule-grid thead th.grid-table")
    expect(headers).to_have_count(TABLES)
    assert_every_column_reachable(page, headers)
    assert_times_on_one_line(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"schedule-grid-{width}px")


def assert_every_column_reachable(page: Page, headers) -> None:
    """Scrolling the grid's own box brings each table into view, the time column staying put."""
    box = page.locator(".grid-scroll").bounding_box()
    time_column = page.locator("table.schedule-grid thead th.grid-time")
    for n in range(TABLES):
        header = headers.nth(n)
        expect(header).to_have_text(f"Table {n + 1}")
        header.scroll_into_view_if_needed()
        expect(header).to_be_in_viewport()
        column = header.bounding_box()
        assert box["x"] - 1 <= column["x"] and column["x"] + column["width"] <= box["x"] + box["width"] + 1
        assert abs(time_column.bounding_box()["x"] - box["x"]) <= 2  # sticky: always at the left edge


def assert_times_on_one_line(page: Page) -> None:
    """An inline element has one box per line it wraps onto."""
    times = page.locator("table.schedule-grid tbody th.grid-time time")
    expect(times).to_have_count(2)
    for time in times.all():
        assert time.evaluate("t => t.getClientRects().length") == 1, time.inner_text()
