"""People are named as a person and their organisation; dates, times and numbers have one format
per language, in the reader's time zone (or the arena's, named where it could be mistaken)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

from matchmaker import i18n
from matchmaker.models import Notification
from matchmaker.people import organisation_label, person_label

# 08:05 UTC is 09:05 in Oslo in winter.
WINTER_MORNING = datetime(2030, 1, 15, 8, 5, tzinfo=UTC)


@pytest.fixture
def department(make):
    trust = make.organisation("health_trust", name="St. Olavs hospital")
    return make.organisation("clinical_department", name="Akuttmottaket", parent=trust)


# People

def test_a_person_is_named_with_their_organisation_and_its_trust(make, department):
    kari = make.user(department, name="Kari Nordmann")
    assert person_label(kari) == "Kari Nordmann, Akuttmottaket, St. Olavs hospital"
    assert organisation_label(department) == "Akuttmottaket, St. Olavs hospital"


def test_an_organisation_without_a_parent_is_named_alone(make):
    company = make.organisation("supplier", name="Tindra Helse AS")
    assert person_label(make.user(company, name="Ola Nilsen")) == "Ola Nilsen, Tindra Helse AS"


@pytest.mark.parametrize("placeholder", ["Contact, Akuttmottaket", "Akuttmottaket", " ", "akuttmottaket contact"])
def test_a_contact_account_without_a_personal_name_is_named_by_its_organisation_once(make, department, placeholder):
    contact = make.user(department, name=placeholder)
    assert person_label(contact) == "Akuttmottaket, St. Olavs hospital"


def test_a_participant_is_shown_as_person_and_organisation(make, department):
    arena = make.arena()
    participant = make.participant(arena, make.user(department, name="Kari Nordmann"))
    assert participant.display_name == "Kari Nordmann, Akuttmottaket, St. Olavs hospital"
    assert "(" not in participant.display_name


def test_templates_have_the_person_label(app, make, department):
    kari = make.user(department, name="Kari Nordmann")
    with app.test_request_context():
        assert render_template_string("{{ person_label(user) }}", user=kari) == \
            "Kari Nordmann, Akuttmottaket, St. Olavs hospital"


# Times

@pytest.mark.parametrize(("locale", "expected"), [
    ("en", "15 Jan 2030, 09:05"),
    ("nb", "15. jan. 2030, 09:05"),
    ("sv", "15 jan. 2030 09:05"),
])
def test_one_date_and_time_format_per_language_in_oslo_by_default(app, locale, expected):
    with app.test_request_context(), force_locale(locale):
        assert i18n.when(WINTER_MORNING) == expected


def test_english_never_writes_us_order_or_a_twelve_hour_clock(app):
    afternoon = datetime(2030, 3, 4, 14, 30, tzinfo=UTC)
    with app.test_request_context(), force_locale("en"):
        text = i18n.when(afternoon)
        assert text.startswith("4 Mar 2030") and "15:30" in text
        assert "PM" not in text and "/" not in text


def test_flask_babels_filters_give_the_same_one_format(app):
    template = "{{ m|datetimeformat('short') }} | {{ m|datetimeformat('medium') }} | {{ m|dateformat('short') }}"
    with app.test_request_context(), force_locale("en"):
        assert render_template_string(template, m=WINTER_MORNING) == \
            "15 Jan 2030, 09:05 | 15 Jan 2030, 09:05 | 15 Jan 2030"


def test_times_are_in_the_users_own_zone(client, auth, make, db):
    user = make.user(kind="supplier", timezone="America/New_York", locale="en")
    auth.login(user)
    db.add(Notification(user_id=user.id, kind="registration_approved", params={"arena_id": None, "title": "Demo"},
                        created_at=WINTER_MORNING))
    db.commit()
    page = client.get("/notifications").get_data(as_text=True)
    assert "15 Jan 2030, 03:05" in page  # 08:05 UTC is 03:05 in New York
    assert "America/New_York" in page


def test_notifications_are_shown_in_oslo_time_not_utc(client, auth, make, db):
    user = make.user(kind="supplier", locale="nb")
    auth.login(user)
    db.add(Notification(user_id=user.id, kind="registration_approved", params={"arena_id": None, "title": "Demo"},
                        created_at=WINTER_MORNING))
    db.commit()
    page = client.get("/notifications").get_data(as_text=True)
    assert ">15. jan. 2030, 09:05<" in page and ">15. jan. 2030, 08:05<" not in page


def test_an_arena_time_is_in_the_arenas_zone_and_named_with_it(app):
    arena = type("ArenaLike", (), {"timezone": "Europe/Stockholm"})()
    end = datetime(2030, 6, 3, 9, 20, tzinfo=UTC)
    with app.test_request_context(), force_locale("en"):
        assert i18n.arena_when(arena, datetime(2030, 6, 3, 9, 0, tzinfo=UTC)) == "3 Jun 2030, 11:00 (CEST)"
        assert i18n.arena_range(arena, datetime(2030, 6, 3, 9, 0, tzinfo=UTC), end) == "3 Jun 2030, 11:00–11:20"
        assert i18n.arena_range(arena, datetime(2030, 6, 3, 9, 0, tzinfo=UTC), end, with_day=False) == "11:00–11:20"


def test_a_time_in_another_zone_than_the_readers_is_labelled(app):
    with app.test_request_context(), force_locale("en"):
        assert i18n.when(WINTER_MORNING, "America/New_York") == "15 Jan 2030, 03:05 (Eastern Standard Time)"
        assert i18n.when(WINTER_MORNING) == "15 Jan 2030, 09:05"  # the reader's own: no label


def test_naive_times_from_sqlite_count_as_utc(app):
    with app.test_request_context(), force_locale("en"):
        assert i18n.when(WINTER_MORNING.replace(tzinfo=None)) == "15 Jan 2030, 09:05"


def test_dates_per_language(app):
    with app.test_request_context():
        written = {}
        for locale in ("en", "nb", "sv"):
            with force_locale(locale):
                written[locale] = i18n.day(date(2030, 7, 1))
    assert written == {"en": "1 Jul 2030", "nb": "1. juli 2030", "sv": "1 juli 2030"}


# Numbers

@pytest.mark.parametrize(("locale", "share", "days", "count"), [
    ("en", "100.0%", "2.5", "12,345"),
    ("nb", "100,0\xa0%", "2,5", "12\xa0345"),
    ("sv", "100,0\xa0%", "2,5", "12\xa0345"),
])
def test_numbers_and_percentages_per_language(app, locale, share, days, count):
    with app.test_request_context(), force_locale(locale):
        assert i18n.percent(100) == share
        assert i18n.number(2.5, 1) == days
        assert i18n.number(2, 1) == days.replace("5", "0")  # days always with one decimal
        assert i18n.number(12345) == count


def test_plurals_through_ngettext_in_templates(app):
    template = "{{ ngettext('%(num)d need', '%(num)d needs', n) }}"
    with app.test_request_context(), force_locale("en"):
        assert [render_template_string(template, n=n) for n in (1, 2)] == ["1 need", "2 needs"]


def test_times_can_be_written_outside_a_request_in_oslo_and_english():
    assert i18n.when(WINTER_MORNING) == "15 Jan 2030, 09:05"
    assert i18n.number(2.5, 1) == "2.5"


@pytest.mark.parametrize("locale,expected", [("en", "Mar 2026"), ("nb", "mar 2026"), ("sv", "mars 2026")])
def test_chart_months_are_written_in_the_readers_language(app, locale, expected):
    from matchmaker.i18n import month

    with app.test_request_context(headers={"Accept-Language": locale}):
        assert month("2026-03") == expected
        assert month("not a month") == "not a month"
