"""The frame every page shares (header with a phone menu, favicon, the busy-button script) and the
form macros: no page writes an aria attribute whose value is the word "None"."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from matchmaker.models import FundingInstrument


class _Attributes(HTMLParser):
    """Every element's attributes, and the ids on the page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if attributes.get("id"):
            self.ids.add(attributes["id"])


def parsed(html: str) -> _Attributes:
    reader = _Attributes()
    reader.feed(html)
    return reader


def aria_problems(html: str) -> list[str]:
    """aria attributes valued "None" or empty, and describedby pointing at no element."""
    page = parsed(html)
    problems = []
    for tag, attributes in page.elements:
        for name, value in attributes.items():
            if name.startswith("aria-") and (value is None or value.strip() in ("", "None")):
                problems.append(f"<{tag} {name}={value!r}>")
        for target in (attributes.get("aria-describedby") or "").split():
            if target not in page.ids and target != "None":
                problems.append(f"<{tag} aria-describedby={target!r}> points at nothing")
    return problems


def _world(make):
    """One user of each role, and the profiles and records the form pages are about."""
    clinician = make.user(kind="clinical_department")
    founder = make.user(kind="supplier")
    funder = make.user(kind="funding_agency")
    organiser = make.user(kind="arena_organiser")
    need = make.need(clinician.organisation, title="Night falls")
    product = make.capability(founder.organisation, title="BedWatch")
    instrument = make._save(FundingInstrument(
        organisation_id=funder.organisation_id, title="Pilot grants", description="Funds pilots in hospitals.",
        language="en", status="published", applicants=["consortium"], purposes=["pilot"], currency="NOK",
        clinical_areas=[], countries=[], passages=[], requirements="", url=""))
    arena = make.arena(organiser.organisation)
    return {"clinician": clinician, "founder": founder, "funder": funder, "organiser": organiser,
            "need": need, "product": product, "instrument": instrument, "arena": arena}


def form_pages(w) -> list[tuple[str, str]]:
    """(who, url) of the pages that render the form macros."""
    need, product = w["need"], w["product"]
    return [
        ("founder", "/account"), ("founder", "/capabilities/new"), ("founder", f"/capabilities/{product.id}/edit"),
        ("founder", f"/collaborations/new?need={need.id}&capability={product.id}"),
        ("founder", f"/capabilities/{product.id}/matches"), ("founder", "/needs"), ("founder", "/capabilities"),
        ("founder", "/match?text=falls+at+night"), ("founder", f"/organisations/{product.organisation_id}/edit"),
        ("clinician", "/needs/new"), ("clinician", f"/needs/{need.id}/edit"),
        ("clinician", f"/needs/{need.id}/matches"), ("clinician", f"/needs/{need.id}/similar"),
        ("funder", "/funding"), ("funder", "/funding/new"),
        ("funder", f"/funding/{w['instrument'].id}/edit"), ("funder", "/funding/fitting"),
        ("organiser", "/arenas/new"), ("organiser", f"/arenas/{w['arena'].id}/edit"),
        ("organiser", f"/arenas/{w['arena'].id}"), ("founder", f"/arenas/{w['arena'].id}"),
    ]


def test_no_page_writes_none_into_an_aria_attribute(client, auth, make):
    world = _world(make)
    for path in ("/login", "/register", "/forgot-password"):
        assert aria_problems(client.get(path).get_data(as_text=True)) == [], path
    checked = 0
    for who, path in form_pages(world):
        auth.login(world[who])
        response = client.get(path)
        assert response.status_code == 200, (who, path)
        html = response.get_data(as_text=True)
        assert aria_problems(html) == [], (who, path)
        assert 'aria-describedby="None"' not in html and 'aria-invalid="None"' not in html
        checked += 1
    assert checked == len(form_pages(world))


def test_fields_with_errors_and_help_are_described(client, auth, make):
    """A refused form marks its wrong fields invalid and points them at their help text."""
    refused = client.post("/register", data={"name": "", "email": "not-an-address", "password": "short"})
    html = refused.get_data(as_text=True)
    assert aria_problems(html) == []
    password = next(a for tag, a in parsed(html).elements if tag == "input" and a.get("name") == "password")
    assert password["aria-invalid"] == "true" and password["aria-describedby"] == "password-help"
    name = next(a for tag, a in parsed(html).elements if tag == "input" and a.get("name") == "name")
    assert name["aria-invalid"] == "true" and "aria-describedby" not in name
    email = next(a for tag, a in parsed(client.get("/login").get_data(as_text=True)).elements
                 if tag == "input" and a.get("name") == "email")
    assert "aria-invalid" not in email and "aria-describedby" not in email


def test_the_favicon_is_served_and_linked(client, auth, make):
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert icon.get_data(as_text=True).lstrip().startswith("<svg")
    for page in (client.get("/login"), client.get("/")):
        links = [a for tag, a in parsed(page.get_data(as_text=True)).elements if tag == "link"]
        assert {"rel": "icon", "type": "image/svg+xml", "href": "/static/favicon.svg"} in links


def test_the_busy_script_is_loaded_from_a_file_and_deferred(client):
    scripts = [a for tag, a in parsed(client.get("/login").get_data(as_text=True)).elements if tag == "script"]
    assert {"src": "/static/busy.js", "defer": None} in scripts
    assert all(s.get("src") for s in scripts)  # no inline script: the CSP would block it
    source = client.get("/static/busy.js").get_data(as_text=True)
    assert "data-busy-label" in source and "aria-busy" in source and "setTimeout" in source


@pytest.mark.parametrize("who", ["clinician", "founder", "funder", "organiser"])
def test_the_header_has_a_phone_menu_with_the_same_links(client, auth, make, who):
    world = _world(make)
    auth.login(world[who])
    html = client.get("/dashboard").get_data(as_text=True)
    wide = html[html.index('<nav class="wide-menu"'):html.index("</nav>")]
    phone = html[html.index('<details class="phone-menu">'):html.index("</details>", html.index("phone-menu"))]
    assert "<summary>Menu" in phone
    links = re.compile(r'href="([^"]+)"')
    assert links.findall(wide) == links.findall(phone) and "/dashboard" in links.findall(phone)
    assert "Sign out" in phone and "Sign out" in wide


def test_slow_buttons_carry_a_busy_label(client, auth, make):
    world = _world(make)
    auth.login(world["founder"])
    need, product = world["need"], world["product"]
    proposal = client.get(f"/collaborations/new?need={need.id}&capability={product.id}").get_data(as_text=True)
    assert 'data-busy-label="Sending…"' in proposal
    auth.login(world["funder"])
    assert 'data-busy-label="Publishing…"' in client.get("/funding/new").get_data(as_text=True)


def test_tables_on_my_pages_scroll_in_their_own_box(client, auth, make, db):
    world = _world(make)
    auth.login(world["funder"])
    client.post("/funding/follow", data={"need_id": world["need"].id})
    html = client.get("/funding/following").get_data(as_text=True)
    assert '<div class="table-scroll">\n<table' in html


def test_registration_does_not_choose_the_kind_of_organisation(client):
    page = client.get("/register").get_data(as_text=True)
    kind = page[page.index('<select id="organisation_kind"'):page.index("</select>", page.index("organisation_kind"))]
    assert '<option value="">Choose…</option>' in kind and "selected" not in kind
    refused = client.post("/register", data={"name": "Kari", "email": "kari@example.org", "password": "a-long-password",
                                             "organisation_name": "Kari AS", "country": "NO"})
    assert refused.status_code == 422 and "Choose the kind of organisation." in refused.get_data(as_text=True)
