"""A participant's agenda on a phone (390 px wide): one card per meeting with its time, table,
who and why, and nothing that makes the page scroll sideways."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from matchmaker.models import Arena, User
from matchmaker.models.types import utcnow
from tests.browser.steps import sign_in

PHONE = {"width": 390, "height": 844}
# Long names are what push a phone page sideways.
LONG_DEPARTMENT = "Avdeling for fysikalsk medisin og rehabilitering, barne- og ungdomsklinikken"
WHY = ("We need a sensor that notices when a frail patient gets up at night so the nurse on duty can come "
       "before a fall happens, without cameras in the patient rooms.")


def published_agenda(seed) -> tuple[Arena, User, list[str]]:
    """An arena whose schedule is published: a supplier with three meetings at the three slots."""
    arena = seed.arena(slots=3, tables=3, title="Nordic night-care arena")
    supplier = seed.user(kind="supplier", name="Frida Founder")
    me = seed.participant(arena, user=supplier)
    trust = seed.organisation("health_trust", name="Oslo universitetssykehus HF")
    others = []
    for n, slot in enumerate(arena.slots):
        department = seed.organisation("clinical_department", name=f"{LONG_DEPARTMENT} {n + 1}", parent=trust)
        other = seed.participant(arena, user=seed.user(department, name=f"Dr Nils Nattvakt {n + 1}"))
        meeting = seed.meeting(arena, me, other, note="Could we show you BedWatch?")
        meeting.match_reason = {"passages": [[WHY, WHY]]}
        meeting.place(slot, arena.tables[n])
        meeting.published_at = utcnow()
        others.append(other.display_name)
    arena.schedule_published_at = utcnow()
    seed.db.commit()
    return arena, supplier, others


def test_the_agenda_is_cards_on_a_phone_without_sideways_scrolling(page: Page, seed, screenshot):
    arena, supplier, others = published_agenda(seed)
    page.set_viewport_size(PHONE)
    sign_in(page, supplier)
    page.goto(f"/arenas/{arena.id}/agenda")
    expect(page.get_by_role("heading", name="My agenda")).to_be_visible()
    cards = page.locator("tr.agenda-meeting")
    expect(cards).to_have_count(3)
    for n, card in enumerate(cards.all()):
        expect(card.locator(".agenda-time")).to_contain_text("09:")
        expect(card.locator(".agenda-table")).to_have_text(f"Table {n + 1}")
        expect(card.locator(".agenda-who")).to_contain_text(others[n])
        expect(card.locator(".agenda-why")).to_contain_text("frail patient")
    assert_cards_stack(page, cards)
    assert_no_sideways_scroll(page)
    screenshot(page, "agenda-390px")


def assert_cards_stack(page: Page, cards) -> None:
    """Each card fits the screen's width and the next starts below it."""
    boxes = [card.bounding_box() for card in cards.all()]
    for box in boxes:
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    for above, below in zip(boxes, boxes[1:], strict=False):
        assert below["y"] >= above["y"] + above["height"]
    # Each card labels its parts, since the table's column headings are hidden on a phone.
    label = page.locator("tr.agenda-meeting td.agenda-table").first.evaluate(
        "cell => getComputedStyle(cell, '::before').content")
    assert "Table" in label


def assert_no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
        page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


PARTICIPANT_PAGES = ["", "/people", "/requests", "/availability", "/agenda"]
ORGANISER_PAGES = ["/registrations", "/schedule", "/dashboard"]


def test_no_arena_page_scrolls_sideways_on_a_phone(page: Page, seed):
    arena, supplier, _others = published_agenda(seed)
    organiser = seed.user(arena.organiser, name="Olga Organiser")
    page.set_viewport_size(PHONE)
    for user, paths in ((supplier, PARTICIPANT_PAGES), (organiser, ORGANISER_PAGES)):
        sign_in(page, user)
        for path in paths:
            page.goto(f"/arenas/{arena.id}{path}")
            expect(page.get_by_role("heading", name=arena.title, level=1)).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        page.context.clear_cookies()
    sign_in(page, supplier)
    page.goto("/arenas")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "/arenas"
