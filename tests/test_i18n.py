"""Interface languages: complete catalogs, browser preference, remembered choice, Oslo time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from sqlalchemy import select

from matchmaker.models import User

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "matchmaker" / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None}


def source_messages() -> set[str]:
    found = set()
    method_map = [("matchmaker/**.py", "python"), ("templates/**.html", "jinja2")]
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, keywords=KEYWORDS, directory_filter=lambda d: ".venv" not in d):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def catalog(locale: str):
    with open(CATALOGS / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=locale)


@pytest.mark.parametrize("locale", ["nb", "sv"])
def test_every_interface_text_is_translated(locale):
    translations = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog(locale) if m.id}
    missing = sorted(m for m in source_messages() if m not in translations or not translations[m].string)
    assert missing == []
    assert not [m.id for m in translations.values() if m.fuzzy]


def test_browser_preference_picks_norwegian(client):
    page = client.get("/login", headers={"Accept-Language": "nb-NO,nb;q=0.9,en;q=0.5"})
    assert "Logg inn" in page.get_data(as_text=True)
    assert 'lang="nb"' in page.get_data(as_text=True)


@pytest.mark.parametrize("header,expected", [("no", "nb"), ("nn-NO", "nb"), ("sv-SE", "sv"),
                                             ("de-DE,da;q=0.5", "en"), ("", "en")])
def test_browser_locale_fallbacks(client, header, expected):
    page = client.get("/login", headers={"Accept-Language": header} if header else {})
    assert f'lang="{expected}"' in page.get_data(as_text=True)


def test_choice_is_remembered_on_the_account(client, auth, make, db):
    user = make.user()
    auth.login(user)
    client.post("/language", data={"locale": "sv"})
    db.expire_all()
    assert db.scalar(select(User.locale).where(User.id == user.id)) == "sv"
    page = client.get("/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="sv"' in page


def test_anonymous_choice_lasts_the_session(client):
    client.post("/language", data={"locale": "nb"})
    assert 'lang="nb"' in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_times_show_in_oslo_unless_user_chooses(client, auth, make, db):
    user = make.user(kind="clinical_department")
    winter_noon_utc = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    need = make.need(user.organisation, title="Timed need")
    need.updated_at = winter_noon_utc
    db.commit()
    auth.login(user)
    assert "15 Jan 2026, 13:00" in client.get(f"/needs/{need.id}").get_data(as_text=True)  # 13:00 in Oslo
    client.post("/account/preferences", data={"prefs-locale": "en", "prefs-timezone": "Europe/London"})
    assert "15 Jan 2026, 12:00" in client.get(f"/needs/{need.id}").get_data(as_text=True)


def test_unknown_timezone_is_refused(client, auth, make):
    auth.login(make.user())
    response = client.post("/account/preferences", data={"prefs-locale": "en", "prefs-timezone": "Mars/Base"})
    assert response.status_code == 422
