"""Hostile input through every text field of every form, the JSON API and the JSONL import.

Each input is either stored faithfully (read back, it equals what was sent, or the same in Unicode
NFC, which profile text and names are normalised to) or refused with a 4xx that names the field,
leaving nothing half-saved; never a 500. Every page showing a stored value
shows it inert: no injected element, event handler or ``javascript:`` link.

The corpus is data: a field is one line in WEB_FIELDS, API_FIELDS or IMPORT_FIELDS, an input one
line in PAYLOADS.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from matchmaker.models import (
    ApiToken,
    Arena,
    CapabilityProfile,
    Collaboration,
    CollaborationEvent,
    FundingInstrument,
    Meeting,
    NeedCoOwner,
    NeedProfile,
    Organisation,
    User,
)
from matchmaker.models.types import utcnow
from matchmaker.services.collaborations import operations as collab
from matchmaker.services.collaborations import terms as terms_rules
from matchmaker.services.transfer import ImportFailed, import_lines

NFC = unicodedata.normalize("NFC", "Måløy Ärztin Ångström")
NFD = unicodedata.normalize("NFD", NFC)
PAYLOADS: dict[str, str] = {
    "script": "<script>alert(1)</script>",
    "img_onerror": "<img src=x onerror=alert(1)>",
    "attribute_break": '" onmouseover="alert(1)',
    "javascript_url": "javascript:alert(1)",
    "sql_drop": "'; DROP TABLE users; --",
    "sql_or": "1 OR 1=1",
    "long": ("Patients wait. " * 6667)[:100_000],
    "rtl_override": "Ward \u202eevil\u202c report",
    "zero_width": "zero\u200bwidth\u200djoin\u200cer \u2060 \ufeff",
    "emoji": "Nurse 👩🏽‍⚕️ family 👨‍👩‍👧 flag 🇳🇴",
    "combining": "Z\u0334\u0321a\u0336l\u0337g\u0338o e\u0301\u0301\u0301",
    "nfc": NFC,
    "nfd": NFD,
    "null_byte": "before\x00after",
    "unicode_digits": "²³",  # str.isdigit() is true, int() refuses them
}
# JSON can spell a lone surrogate; form posts and files of UTF-8 text cannot carry one.
JSON_PAYLOADS = {**PAYLOADS, "lone_surrogate": "half \ud83d of an emoji"}
assert NFC != NFD


def faithful(stored: Any, sent: Any) -> bool:
    """What was sent, or the same in NFC (text composed the way keyboards type it)."""
    def composed(value):
        if isinstance(value, str):
            return unicodedata.normalize("NFC", value)
        return [composed(item) for item in value] if isinstance(value, list) else value
    return stored == sent or stored == composed(sent)


# --- checking pages -----------------------------------------------------------------------------

class _ActiveContent(HTMLParser):
    """Finds what would run in a browser: inline scripts, event handlers, script links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src"):
            self.found.append("inline <script>")
        if tag == "img" and attributes.get("src") == "x":
            self.found.append("injected <img>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    ("javascript:", "data:text")):
                self.found.append(f"<{tag} {name}={value!r}>")


def active_content(html: str) -> list[str]:
    parser = _ActiveContent()
    parser.feed(html)
    return parser.found


def check_pages(client, urls: list[str], problems: list[str], label: str) -> None:
    for url in urls:
        response = client.get(url)
        if response.status_code >= 500:
            problems.append(f"{label}: GET {url} answered {response.status_code}")
            continue
        found = active_content(response.get_data(as_text=True))
        if found:
            problems.append(f"{label}: {url} shows it live: {found[:3]}")


def names_field(response, name: str, hints: tuple[str, ...]) -> bool:
    """Whether a refusal points at the field: the input marked invalid, or the field named."""
    html = response.get_data(as_text=True)
    if response.is_json:
        fields = (response.get_json().get("error") or {}).get("fields") or {}
        return name in fields or any(hint in fields for hint in hints)
    marked = any(f'name="{n}"' in tag and 'aria-invalid="true"' in tag
                 for n in (name, *hints) for tag in html.split("<") if tag.startswith(("input", "textarea", "select")))
    named = any(f"<code>{n}</code>" in html for n in (name, *hints))
    # a list of checkboxes shows its error right after the list
    checkboxes = re.search(rf'name="{re.escape(name)}".*?</fieldset>\s*(<small id="[^"]*">[^<]*</small>\s*)?'
                           r'<small class="field-error"', html, re.S)
    return marked or named or checkboxes is not None


def shown_errors(response) -> list[str]:
    html = response.get_data(as_text=True)
    return re.findall(r'class="field-error"[^>]*>([^<]*)<', html) + re.findall(r'<h1>([^<]*)</h1>', html)


# --- the web forms ------------------------------------------------------------------------------

@dataclass
class World:
    """What one field's round needs; built by a surface's setup."""

    client: Any
    auth: Any
    make: Any
    db: Any
    objects: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.objects[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class Surface:
    """One form: how to reach it, valid data for it, where its result is, and what shows it."""

    name: str
    setup: Callable[[World], None]
    url: Callable[[World], str]
    base: Callable[[World], dict]
    stored: Callable[[World], Any]  # the object the form created or changed, or None
    pages: Callable[[World, Any], list[str]]
    creates: bool = True


@dataclass
class Field:
    surface: Surface
    name: str
    read: Callable[[Any], Any]
    wrap: str = "{}"
    hints: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.surface.name}.{self.name}"


def _newest(model):
    def find(w: World):
        w.db.expire_all()
        newest = w.db.scalar(select(model).order_by(model.id.desc()).limit(1))
        if newest is None or newest.id <= w.objects.get("max_id", 0):
            return None
        w.objects["max_id"] = newest.id
        return newest
    return find


def _max_id(model):
    def remember(w: World):
        w.objects["max_id"] = w.db.scalar(select(func.max(model.id))) or 0
    return remember


def _reload(key: str):
    def find(w: World):
        w.db.expire_all()
        return w.db.get(type(w.objects[key]), w.objects[key].id)
    return find


LONG_ENOUGH = "A description long enough for the form: {}"
NEED_FORM = {"title": "Night-time falls", "description": "Patients fall at night when they get up alone.",
             "language": "en", "action": "publish"}
CAPABILITY_FORM = {"title": "BedWatch radar", "description": "A radar that notices when a patient gets up.",
                   "language": "en", "action": "publish"}
TERMS_FORM = {"scope": "Three-month pilot on ward 3", "test_type": "pilot", "site": "Ward 3"}
INSTRUMENT_FORM = {"title": "Pilot funding", "description": "Funds pilots of new solutions in hospitals.",
                   "language": "en", "applicants": ["health_trust"], "purposes": ["pilot"], "currency": "NOK",
                   "deadline": (date.today() + timedelta(days=90)).isoformat(), "requirements": "", "url": "",
                   "action": "publish"}
ARENA_FORM = {"title": "Nordic health arena", "venue": "Oslo", "timezone": "Europe/Oslo", "meeting_minutes": "20",
              "sessions": "2030-03-12 09:00-10:00", "tables": "Blue\nGreen", "allowed_pairs": ["health-supplier"],
              "status": "open"}


def _register_setup(w: World) -> None:
    _max_id(User)(w)
    w.auth.logout()


def _register_base(w: World) -> dict:
    w.auth.logout()
    n = w.objects["n"] = w.objects.get("n", 0) + 1
    return {"name": "Kari Nordmann", "email": f"kari{n}@example.org", "password": "a-long-password",
            "organisation_name": "Slagenheten", "organisation_kind": "supplier", "country": "NO"}


def _supplier(w: World) -> None:
    w.objects["user"] = w.make.user(kind="supplier")
    w.auth.login(w.user)


def _clinician(w: World) -> None:
    w.objects["user"] = w.make.user(kind="clinical_department")
    w.auth.login(w.user)


def _profile_setup(kind: str, creates: bool):
    def setup(w: World) -> None:
        (_clinician if kind == "need" else _supplier)(w)
        model = NeedProfile if kind == "need" else CapabilityProfile
        _max_id(model)(w)
        if not creates:
            w.objects["profile"] = getattr(w.make, kind)(w.user.organisation)
    return setup


def _organisation_setup(w: World) -> None:
    _supplier(w)
    w.objects["organisation"] = w.user.organisation


def _collaboration_setup(stage: str = "proposed"):
    def setup(w: World) -> None:
        supplier, clinician = w.make.user(kind="supplier"), w.make.user(kind="clinical_department")
        need = w.make.need(clinician.organisation, title="Night falls")
        product = w.make.capability(supplier.organisation, title="BedWatch")
        w.objects.update(supplier=supplier, clinician=clinician, need=need, product=product, user=supplier)
        _max_id(Collaboration)(w)
        if stage != "none":
            terms = terms_rules.template(need, product)
            collaboration = collab.propose(w.db, supplier, need, product, terms)
            if stage == "verified":
                collaboration.stage = "verified"
            w.db.commit()
            w.objects["collaboration"] = collaboration
        w.auth.login(supplier)
    return setup


def _last_event(kind: str):
    """The event of that kind the last request added, if any."""
    def find(w: World):
        w.db.expire_all()
        event = w.db.scalar(select(CollaborationEvent).where(
            CollaborationEvent.collaboration_id == w.collaboration.id, CollaborationEvent.kind == kind,
            CollaborationEvent.id > w.objects.get("seen_event", 0)).order_by(CollaborationEvent.id.desc()).limit(1))
        if event is not None:
            w.objects["seen_event"] = event.id
        return event
    return find


def _move_setup(w: World) -> None:
    _collaboration_setup()(w)
    w.auth.login(w.clinician)  # the other side answers a proposal


def _move_stored(w: World):
    event = _last_event("stage")(w)
    if event is not None:  # each round declines afresh
        w.collaboration.stage = "proposed"
        w.db.commit()
    return event


def _join_setup(w: World) -> None:
    trust_a, trust_b = w.make.organisation("health_trust"), w.make.organisation("health_trust")
    need = w.make.need(w.make.organisation("clinical_department", parent_id=trust_a.id))
    joiner = w.make.user(w.make.organisation("clinical_department", parent_id=trust_b.id))
    w.objects.update(need=need, user=joiner)
    w.auth.login(joiner)


def _join_stored(w: World):
    w.db.expire_all()
    owner = w.db.scalar(select(NeedCoOwner).where(NeedCoOwner.need_id == w.need.id))
    if owner is not None:  # each round joins afresh
        w.db.delete(owner)
        w.db.commit()
    return owner


def _arena_people(w: World, past: bool = False) -> None:
    day = (utcnow() - timedelta(days=1)).date().isoformat() if past else "2030-06-03"
    arena = w.make.arena(slots=2, tables=1, day=day)
    supplier = w.make.participant(arena, kind="supplier")
    department = w.make.participant(arena, kind="clinical_department")
    w.objects.update(arena=arena, supplier=supplier, department=department)


def _request_setup(w: World) -> None:
    _arena_people(w)
    w.auth.login(w.supplier.user)


def _request_stored(w: World):
    w.db.expire_all()
    meeting = w.db.scalar(select(Meeting).where(Meeting.arena_id == w.arena.id))
    if meeting is not None:  # each round asks afresh
        for seat in meeting.seats:
            w.db.delete(seat)
        w.db.delete(meeting)
        w.db.commit()
    return meeting


def _respond_setup(w: World) -> None:
    _arena_people(w)
    w.objects["meeting"] = w.make.meeting(w.arena, w.supplier, w.department, status="pending")
    w.auth.login(w.department.user)


def _respond_stored(w: World):
    meeting = _reload("meeting")(w)
    if meeting.status != "pending":  # each round answers afresh
        meeting.status, meeting.responded_at = "pending", None
        w.db.commit()
        return meeting
    return None


def _attendance_setup(w: World) -> None:
    _arena_people(w, past=True)
    meeting = w.make.meeting(w.arena, w.supplier, w.department)
    meeting.place(w.arena.slots[0], w.arena.tables[0])
    meeting.published_at = w.arena.schedule_published_at = utcnow()
    w.db.commit()
    w.objects["meeting"] = meeting
    w.auth.login(w.department.user)


def _instrument_setup(creates: bool):
    def setup(w: World) -> None:
        w.objects["user"] = w.make.user(kind="funding_agency")
        w.auth.login(w.user)
        _max_id(FundingInstrument)(w)
        if not creates:
            w.client.post("/funding/new", data=INSTRUMENT_FORM)
            w.objects["instrument"] = _newest(FundingInstrument)(w)
    return setup


def _account_setup(w: World) -> None:
    _supplier(w)
    _max_id(ApiToken)(w)


def _token_stored(w: World):
    return _newest(ApiToken)(w)


REGISTER = Surface("register", _register_setup, lambda w: "/register", _register_base, _newest(User),
                   lambda w, user: [])
NEED_NEW = Surface("need_new", _profile_setup("need", True), lambda w: "/needs/new", lambda w: NEED_FORM,
                   _newest(NeedProfile), lambda w, p: [f"/needs/{p.id}", f"/needs/{p.id}/edit", "/needs", "/dashboard"])
NEED_EDIT = Surface("need_edit", _profile_setup("need", False), lambda w: f"/needs/{w.profile.id}/edit",
                    lambda w: NEED_FORM, _reload("profile"),
                    lambda w, p: [f"/needs/{p.id}", "/needs?q=falls", "/dashboard"], creates=False)
CAPABILITY_NEW = Surface("capability_new", _profile_setup("capability", True), lambda w: "/capabilities/new",
                         lambda w: CAPABILITY_FORM, _newest(CapabilityProfile),
                         lambda w, p: [f"/capabilities/{p.id}", f"/capabilities/{p.id}/edit", "/capabilities"])
CAPABILITY_EDIT = Surface("capability_edit", _profile_setup("capability", False),
                          lambda w: f"/capabilities/{w.profile.id}/edit", lambda w: CAPABILITY_FORM,
                          _reload("profile"), lambda w, p: [f"/capabilities/{p.id}", "/matches"], creates=False)
ORGANISATION = Surface("organisation", _organisation_setup, lambda w: f"/organisations/{w.organisation.id}/edit",
                       lambda w: {"name": "Kvitfjell Medical", "country": "NO"}, _reload("organisation"),
                       lambda w, o: [f"/organisations/{o.id}", "/organisations", f"/organisations/{o.id}/edit"],
                       creates=False)
TERMS_NEW = Surface("terms_new", _collaboration_setup("none"), lambda w: f"/collaborations/new?need={w.need.id}",
                    lambda w: {**TERMS_FORM, "need_id": w.need.id, "capability_id": w.product.id},
                    _newest(Collaboration), lambda w, c: [f"/collaborations/{c.id}", "/collaborations"])
TERMS_EDIT = Surface("terms_edit", _collaboration_setup(), lambda w: f"/collaborations/{w.collaboration.id}/terms",
                     lambda w: TERMS_FORM, _reload("collaboration"),
                     lambda w, c: [f"/collaborations/{c.id}", f"/collaborations/{c.id}/terms"], creates=False)
COMMENT = Surface("comment", _collaboration_setup(), lambda w: f"/collaborations/{w.collaboration.id}/comment",
                  lambda w: {}, _last_event("comment"), lambda w, e: [f"/collaborations/{w.collaboration.id}"])
MOVE = Surface("move", _move_setup, lambda w: f"/collaborations/{w.collaboration.id}/move",
               lambda w: {"to": "declined"}, _move_stored, lambda w, e: [f"/collaborations/{w.collaboration.id}"])
RESULT = Surface("result", _collaboration_setup("verified"), lambda w: f"/collaborations/{w.collaboration.id}/result",
                 lambda w: {}, _reload("collaboration"),
                 lambda w, c: [f"/collaborations/{c.id}", f"/needs/{w.need.id}", f"/capabilities/{w.product.id}"],
                 creates=False)
JOIN = Surface("join", _join_setup, lambda w: f"/needs/{w.need.id}/join", lambda w: {"site": "Bergen"},
               _join_stored, lambda w, o: [f"/needs/{w.need.id}"])
ARENA = Surface("arena", lambda w: (_max_id(Arena)(w), w.auth.login(w.make.user(kind="arena_organiser"))),
                lambda w: "/arenas/new", lambda w: ARENA_FORM, _newest(Arena),
                lambda w, a: [f"/arenas/{a.id}", "/arenas", f"/arenas/{a.id}/edit"])
MEETING_REQUEST = Surface("meeting_request", _request_setup, lambda w: f"/arenas/{w.arena.id}/requests",
                          lambda w: {"recipient_id": w.department.id}, _request_stored,
                          lambda w, m: [f"/arenas/{w.arena.id}/requests"])
RESPONSE = Surface("response", _respond_setup, lambda w: f"/arenas/{w.arena.id}/meetings/{w.meeting.id}/respond",
                   lambda w: {"action": "accept"}, _respond_stored, lambda w, m: [f"/arenas/{w.arena.id}/requests"])
ATTENDANCE = Surface("attendance", _attendance_setup,
                     lambda w: f"/arenas/{w.arena.id}/meetings/{w.meeting.id}/attendance",
                     lambda w: {"attendance": "held", "outcome": "follow_up_planned"}, _reload("meeting"),
                     lambda w, m: [f"/arenas/{w.arena.id}/agenda"], creates=False)
INSTRUMENT_NEW = Surface("instrument_new", _instrument_setup(True), lambda w: "/funding/new",
                         lambda w: INSTRUMENT_FORM, _newest(FundingInstrument),
                         lambda w, i: [f"/funding/{i.id}", "/funding", f"/funding/{i.id}/edit"])
INSTRUMENT_EDIT = Surface("instrument_edit", _instrument_setup(False),
                          lambda w: f"/funding/{w.instrument.id}/edit", lambda w: INSTRUMENT_FORM,
                          _reload("instrument"), lambda w, i: [f"/funding/{i.id}", "/funding"], creates=False)
PREFERENCES = Surface("preferences", _account_setup, lambda w: "/account/preferences",
                      lambda w: {"prefs-locale": "en", "prefs-timezone": "Europe/Oslo"}, _reload("user"),
                      lambda w, u: ["/account", "/dashboard"], creates=False)
TOKEN = Surface("token", _account_setup, lambda w: "/account/tokens", lambda w: {}, _token_stored,
                lambda w, t: ["/account"])
LOGIN = Surface("login", lambda w: w.auth.logout(), lambda w: "/login",
                lambda w: {"email": "nobody@example.org", "password": "a-long-password"}, lambda w: None,
                lambda w, _: [])


def _terms(name):
    return lambda c: getattr(c.current_terms, name)


WEB_FIELDS = [
    Field(REGISTER, "name", lambda u: u.name),
    Field(REGISTER, "email", lambda u: u.email),
    Field(REGISTER, "password", lambda u: u.password_hash),  # compared by hash below
    Field(REGISTER, "organisation_name", lambda u: u.organisation.name),
    *(Field(NEED_NEW, name, read, wrap) for name, read, wrap in [
        ("title", lambda p: p.title, "{}"), ("description", lambda p: p.description, LONG_ENOUGH),
        ("current_pathway", lambda p: p.current_pathway, "{}"), ("patient_volume", lambda p: p.patient_volume, "{}"),
        ("test_offer", lambda p: p.test_offer, "{}"), ("test_period", lambda p: p.test_period, "{}"),
        ("evidence_level", lambda p: p.evidence_level, "{}"), ("contact_name", lambda p: p.contact_name, "{}"),
        ("contact_email", lambda p: p.contact_email, "{}"), ("regulatory_class", lambda p: p.regulatory_class, "{}"),
        ("procurement_route", lambda p: p.procurement_route, "{}"), ("language", lambda p: p.language, "{}"),
        ("clinical_areas", lambda p: p.codes("clinical_area"), "{}")]),
    Field(NEED_EDIT, "title", lambda p: p.title),
    Field(NEED_EDIT, "description", lambda p: p.description, LONG_ENOUGH),
    Field(NEED_EDIT, "test_offer", lambda p: p.test_offer),
    *(Field(CAPABILITY_NEW, name, read, wrap) for name, read, wrap in [
        ("title", lambda p: p.title, "{}"), ("description", lambda p: p.description, LONG_ENOUGH),
        ("evidence", lambda p: p.evidence, "{}"), ("clinic_needs", lambda p: p.clinic_needs, "{}"),
        ("funding_sought", lambda p: p.funding_sought, "{}")]),
    Field(CAPABILITY_EDIT, "title", lambda p: p.title),
    Field(CAPABILITY_EDIT, "evidence", lambda p: p.evidence),
    *(Field(ORGANISATION, name, lambda o, name=name: getattr(o, name))
      for name in ("name", "description", "website", "org_number", "size")),
    *(Field(TERMS_NEW, name, _terms(name)) for name in terms_rules.TEXT_FIELDS),
    *(Field(TERMS_EDIT, name, _terms(name)) for name in terms_rules.TEXT_FIELDS),
    Field(COMMENT, "text", lambda e: e.text),
    Field(MOVE, "note", lambda e: e.text),
    Field(RESULT, "summary", lambda c: c.result_summary),
    Field(JOIN, "site", lambda o: o.site),
    Field(JOIN, "patient_volume", lambda o: o.patient_volume),
    *(Field(ARENA, name, lambda a, name=name: getattr(a, name)) for name in ("title", "venue", "description",
                                                                              "timezone")),
    Field(ARENA, "tables", lambda a: "\n".join(t.name for t in a.tables), "Blue\n{}"),
    Field(MEETING_REQUEST, "note", lambda m: m.note),
    Field(RESPONSE, "note", lambda m: m.response_note),
    Field(ATTENDANCE, "outcome_note", lambda m: m.outcome_note),
    *(Field(INSTRUMENT_NEW, name, read, wrap) for name, read, wrap in [
        ("title", lambda i: i.title, "{}"), ("description", lambda i: i.description, LONG_ENOUGH),
        ("requirements", lambda i: i.requirements, "{}"), ("url", lambda i: i.url, "{}")]),
    Field(INSTRUMENT_EDIT, "title", lambda i: i.title),
    Field(INSTRUMENT_EDIT, "url", lambda i: i.url),
    Field(PREFERENCES, "prefs-locale", lambda u: u.locale, hints=("locale",)),
    Field(PREFERENCES, "prefs-timezone", lambda u: u.timezone, hints=("timezone",)),
    Field(TOKEN, "token-token_name", lambda t: t.name, hints=("token_name",)),
    Field(LOGIN, "email", lambda _: None),
    Field(LOGIN, "password", lambda _: None),
]


def _snapshot(surface: Surface, w: World, fields: list[Field]):
    """Every field's stored value, to see that a refusal changed nothing."""
    if surface.creates:
        return None
    obj = surface.stored(w)
    return [_safe_read(f, obj) for f in fields if f.surface is surface]


def _safe_read(f: Field, obj):
    try:
        return f.read(obj)
    except AttributeError:
        return None


@pytest.mark.parametrize("target", WEB_FIELDS, ids=str)
def test_web_form_field_stores_or_refuses_hostile_input(target: Field, client, auth, make, db):
    w = World(client, auth, make, db)
    surface = target.surface
    surface.setup(w)
    problems: list[str] = []
    for label, payload in PAYLOADS.items():
        value = target.wrap.format(payload)
        before = _snapshot(surface, w, WEB_FIELDS)
        response = client.post(surface.url(w), data={**surface.base(w), target.name: value})
        status, where = response.status_code, f"{target} <- {label}"
        if status >= 500:
            problems.append(f"{where}: answered {status}")
            db.rollback()
            continue
        stored = surface.stored(w)
        if status in (200, 201, 302, 303) and surface is not LOGIN and (not surface.creates or stored is not None):
            if stored is None:
                problems.append(f"{where}: answered {status} but nothing was stored")
                continue
            got = target.read(stored)
            if target.name == "password":
                ok = check_password_hash(got, value)
            elif target.name == "clinical_areas":
                ok = got == [value]
            else:
                ok = faithful(got, value)
            if not ok:
                shown = repr(got)[:80] if not isinstance(got, str) or len(got) < 200 else f"{len(got)} chars"
                problems.append(f"{where}: stored {shown}, not what was sent")
            check_pages(client, surface.pages(w, stored), problems, where)
        elif 400 <= status < 500 or surface is LOGIN:
            if surface is LOGIN and status < 400:
                problems.append(f"{where}: sign-in answered {status}")
            if not names_field(response, target.name, target.hints) and not (
                    surface is LOGIN and status == 422):
                problems.append(f"{where}: refused with {status} without naming {target.name}: "
                                f"{shown_errors(response)}")
            if surface.creates and stored is not None:
                problems.append(f"{where}: refused, yet {stored!r} was stored")
            if not surface.creates and _snapshot(surface, w, WEB_FIELDS) != before:
                problems.append(f"{where}: refused, yet something was changed")
            if active_content(response.get_data(as_text=True)):
                problems.append(f"{where}: the refusal page shows it live")
        else:
            problems.append(f"{where}: unexpected {status} (stored: {stored is not None})")
    assert not problems, "\n".join(problems)


# --- the JSON API -------------------------------------------------------------------------------

@dataclass
class Endpoint:
    name: str
    setup: Callable[[Any, Any], dict]  # (make, db) -> context with "user"
    method: str
    url: Callable[[dict], str]
    body: Callable[[dict], dict]
    read: Callable[[dict, Any], Any]  # (context, response json) -> the stored object, from the database


@dataclass
class ApiField:
    endpoint: Endpoint
    path: tuple[str, ...]  # where in the body; ("terms", "scope") for nested
    read: Callable[[Any], Any]
    wrap: str = "{}"

    def __str__(self) -> str:
        return f"{self.endpoint.name}.{'.'.join(self.path)}"


def _api_collaboration(make, db, stage="proposed") -> dict:
    supplier, clinician = make.user(kind="supplier"), make.user(kind="clinical_department")
    need = make.need(clinician.organisation, title="Night falls")
    product = make.capability(supplier.organisation, title="BedWatch")
    collaboration = collab.propose(db, supplier, need, product, terms_rules.template(need, product))
    if stage != "proposed":
        collaboration.stage = stage
    db.commit()
    return {"user": supplier, "other": clinician, "need": need, "product": product, "collaboration": collaboration}


def _api_join(make, db) -> dict:
    trust_a, trust_b = make.organisation("health_trust"), make.organisation("health_trust")
    need = make.need(make.organisation("clinical_department", parent_id=trust_a.id))
    return {"user": make.user(make.organisation("clinical_department", parent_id=trust_b.id)), "need": need}


def _by_id(model, key="id"):
    def read(ctx, body, db):
        db.expire_all()
        return db.get(model, body[key])
    return read


def _detail_event(kind):
    def read(ctx, body, db):
        db.expire_all()
        return db.scalar(select(CollaborationEvent).where(
            CollaborationEvent.collaboration_id == ctx["collaboration"].id, CollaborationEvent.kind == kind)
            .order_by(CollaborationEvent.id.desc()).limit(1))
    return read


API_NEED = {"title": "Night-time falls", "description": "Patients fall at night.", "language": "en"}
API_CAPABILITY = {"title": "BedWatch", "description": "A radar for wards.", "language": "en"}
API_INSTRUMENT = {"title": "Pilot funding", "description": "Funds pilots.", "language": "en",
                  "applicants": ["health_trust"], "purposes": ["pilot"], "rolling": True}

NEEDS = Endpoint("needs", lambda make, db: {"user": make.user(kind="clinical_department")}, "post",
                 lambda c: "/api/v1/needs", lambda c: API_NEED, _by_id(NeedProfile))
NEED_PATCH = Endpoint("need_patch", lambda make, db: (lambda u: {"user": u, "need": make.need(u.organisation)})(
                      make.user(kind="clinical_department")), "patch", lambda c: f"/api/v1/needs/{c['need'].id}",
                      lambda c: {}, _by_id(NeedProfile))
CAPABILITIES = Endpoint("capabilities", lambda make, db: {"user": make.user(kind="supplier")}, "post",
                        lambda c: "/api/v1/capabilities", lambda c: API_CAPABILITY, _by_id(CapabilityProfile))
PROPOSE = Endpoint("propose", lambda make, db: (lambda c: {**c, "collaboration": None})(_api_collaboration(make, db)),
                   "post", lambda c: "/api/v1/collaborations",
                   lambda c: {"need_id": c["need"].id, "capability_id": c["product"].id,
                              "terms": {"scope": "A pilot", "test_type": "pilot"}},
                   _by_id(Collaboration))
TERMS = Endpoint("terms", _api_collaboration, "post", lambda c: f"/api/v1/collaborations/{c['collaboration'].id}/terms",
                 lambda c: {}, _by_id(Collaboration))
COMMENTS = Endpoint("comments", _api_collaboration, "post",
                    lambda c: f"/api/v1/collaborations/{c['collaboration'].id}/comments", lambda c: {},
                    _detail_event("comment"))
RESULTS = Endpoint("result", lambda make, db: _api_collaboration(make, db, "verified"), "post",
                   lambda c: f"/api/v1/collaborations/{c['collaboration'].id}/result", lambda c: {},
                   _by_id(Collaboration))
JOINS = Endpoint("join", _api_join, "post", lambda c: f"/api/v1/needs/{c['need'].id}/join",
                 lambda c: {"site": "Bergen"},
                 lambda c, body, db: (db.expire_all(), db.scalar(select(NeedCoOwner).where(
                     NeedCoOwner.need_id == c["need"].id)))[1])
INSTRUMENTS = Endpoint("instruments", lambda make, db: {"user": make.user(kind="funding_agency")}, "post",
                       lambda c: "/api/v1/instruments", lambda c: API_INSTRUMENT, _by_id(FundingInstrument))
MATCH = Endpoint("match", lambda make, db: {"user": make.user(kind="supplier")}, "post", lambda c: "/api/v1/match",
                 lambda c: {"kind": "need"}, lambda c, body, db: None)
PREFERENCE_TOPIC = Endpoint("notification_preferences", lambda make, db: {"user": make.user(kind="supplier")}, "put",
                            lambda c: "/api/v1/notification-preferences", lambda c: {}, lambda c, body, db: None)

API_FIELDS = [
    *(ApiField(NEEDS, (name,), lambda p, name=name: getattr(p, name)) for name in (
        "title", "description", "current_pathway", "patient_volume", "test_offer", "test_period", "evidence_level",
        "contact_name", "contact_email", "language", "regulatory_class")),
    ApiField(NEEDS, ("clinical_areas",), lambda p: p.codes("clinical_area")),
    *(ApiField(NEED_PATCH, (name,), lambda p, name=name: getattr(p, name)) for name in ("title", "test_offer")),
    *(ApiField(CAPABILITIES, (name,), lambda p, name=name: getattr(p, name)) for name in (
        "title", "description", "evidence", "clinic_needs", "funding_sought")),
    *(ApiField(PROPOSE, ("terms", name), lambda c, name=name: getattr(c.current_terms, name))
      for name in terms_rules.TEXT_FIELDS),
    *(ApiField(TERMS, (name,), lambda c, name=name: getattr(c.current_terms, name))
      for name in terms_rules.TEXT_FIELDS),
    ApiField(COMMENTS, ("text",), lambda e: e.text),
    ApiField(RESULTS, ("summary",), lambda c: c.result_summary),
    ApiField(JOINS, ("site",), lambda o: o.site),
    ApiField(JOINS, ("patient_volume",), lambda o: o.patient_volume),
    *(ApiField(INSTRUMENTS, (name,), lambda i, name=name: getattr(i, name)) for name in (
        "title", "description", "requirements", "url", "currency")),
    ApiField(MATCH, ("text",), lambda _: None),
    ApiField(PREFERENCE_TOPIC, ("deadlines", "email"), lambda _: None),
    ApiField(PREFERENCE_TOPIC, ("topic",), lambda _: None),  # a hostile topic name
]


def _body_with(body: dict, path: tuple[str, ...], value: str) -> dict:
    body = json.loads(json.dumps(body))
    node = body
    for key in path[:-1]:
        node = node.setdefault(key, {})
    if path == ("topic",):
        body[value] = {"email": True}
    else:
        node[path[-1]] = value
    return body


def _encode(body: dict) -> bytes:
    # ensure_ascii keeps lone surrogates as \ud83d escapes: valid JSON, as a client would send it.
    return json.dumps(body, ensure_ascii=True).encode()


@pytest.mark.parametrize("target", API_FIELDS, ids=str)
def test_api_field_stores_or_refuses_hostile_input(target: ApiField, api, make, db, client):
    endpoint = target.endpoint
    ctx = endpoint.setup(make, db)
    caller = api.as_user(ctx["user"])
    problems: list[str] = []
    for label, payload in JSON_PAYLOADS.items():
        value = target.wrap.format(payload)
        body = _body_with(endpoint.body(ctx), target.path, value)
        response = getattr(caller, endpoint.method)(endpoint.url(ctx), data=_encode(body),
                                                    content_type="application/json")
        status, where = response.status_code, f"{target} <- {label}"
        if status >= 500:
            problems.append(f"{where}: answered {status}")
            db.rollback()
            continue
        if not response.is_json:
            problems.append(f"{where}: answered {status} without JSON")
            continue
        if 200 <= status < 300:
            stored = endpoint.read(ctx, response.get_json(), db)
            if stored is not None and not any(faithful(target.read(stored), v) for v in (value, [value])):
                got = target.read(stored)
                shown = f"{len(got)} chars" if isinstance(got, str) and len(got) > 200 else repr(got)[:80]
                problems.append(f"{where}: stored {shown}, not what was sent")
            if endpoint is JOINS:
                db.query(NeedCoOwner).filter_by(need_id=ctx["need"].id).delete()
                db.commit()
        elif 400 <= status < 500:
            fields = response.get_json()["error"]["fields"]
            named = set(target.path) - {"topic"}
            if not (named & set(fields) or target.path == ("topic",) and fields):
                problems.append(f"{where}: refused with {status} but fields are {sorted(fields)[:5]}")
        else:
            problems.append(f"{where}: unexpected {status}")
    assert not problems, "\n".join(problems)


def test_api_refusal_leaves_nothing_half_saved(api, make, db):
    ctx = _api_collaboration(make, db)
    caller = api.as_user(ctx["user"])
    url = f"/api/v1/collaborations/{ctx['collaboration'].id}/terms"
    before = [t.version for t in ctx["collaboration"].terms]
    response = caller.post(url, json={"scope": "Fine", "site": "x" * 100_000})
    assert response.status_code == 422 and "site" in response.get_json()["error"]["fields"]
    response = caller.post(url, json={"scope": "Fine", "ip_terms": "a\x00b"})
    assert response.status_code == 422 and "ip_terms" in response.get_json()["error"]["fields"]
    db.expire_all()
    assert [t.version for t in db.get(Collaboration, ctx["collaboration"].id).terms] == before


def test_api_query_parameters_with_a_null_byte_are_refused(api, make):
    caller = api.as_user(make.user(kind="supplier"))
    for url in ("/api/v1/needs?q=a%00b", "/api/v1/organisations?kind=%00", "/api/v1/instruments?purpose=%00",
                "/api/v1/collaborations?stage=%00"):
        response = caller.get(url)
        assert response.status_code == 422, url
        assert response.get_json()["error"]["fields"], url


def test_pages_refuse_query_parameters_with_a_null_byte(client, auth, make):
    auth.login(make.user(kind="supplier"))
    for url in ("/needs?q=a%00b", "/match?q=%00", "/funding?purpose=%00"):
        response = client.get(url)
        assert response.status_code == 422, url
        assert "<code>q</code>" in response.get_data(as_text=True) or "<code>purpose</code>" in \
            response.get_data(as_text=True)


def test_browse_search_handles_hostile_text(client, auth, make, index):
    auth.login(make.user(kind="supplier"))
    index(make.need(title=PAYLOADS["script"], description=PAYLOADS["img_onerror"] + " and more words"))
    for payload in ("<script>", "'; DROP TABLE users; --", "1 OR 1=1", "%", "_", "\\", NFD, "👩🏽‍⚕️"):
        response = client.get("/needs", query_string={"q": payload})
        assert response.status_code == 200, payload
        assert not active_content(response.get_data(as_text=True))
    found = client.get("/needs", query_string={"q": "<script>"}).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in found


# --- the JSONL import ---------------------------------------------------------------------------

@dataclass
class ImportField:
    kind: str
    name: str
    read: Callable[[Any], Any]
    wrap: str = "{}"

    def __str__(self) -> str:
        return f"{self.kind}.{self.name}"


IMPORT_BASE = {
    "organisation": {"kind": "organisation", "name": "Kvitfjell Medical", "type": "supplier", "country": "NO"},
    "need": {"kind": "need", "title": "Night-time falls", "description": "Patients fall at night.", "language": "en"},
    "capability": {"kind": "capability", "title": "BedWatch", "description": "A radar for wards.", "language": "en"},
}
MODEL_BY_KIND = {"organisation": Organisation, "need": NeedProfile, "capability": CapabilityProfile}
IMPORT_FIELDS = [
    *(ImportField("organisation", name, lambda o, name=name: getattr(o, name))
      for name in ("name", "description", "website", "org_number")),
    ImportField("organisation", "id", lambda o: o.external_id),
    ImportField("organisation", "notes", lambda o: o.extra.get("notes")),  # unknown fields are kept
    *(ImportField("need", name, lambda p, name=name: getattr(p, name)) for name in (
        "title", "description", "test_offer", "patient_volume", "contact_name")),
    ImportField("need", "id", lambda p: p.external_id),
    ImportField("need", "organisation", lambda p: p.organisation.name),
    # unknown codes are kept; a ";" separates several
    ImportField("need", "clinical_area", lambda p: "; ".join(p.extra.get("unrecognised_clinical_areas", []))),
    *(ImportField("capability", name, lambda p, name=name: getattr(p, name)) for name in (
        "title", "description", "evidence", "funding_sought")),
]


@pytest.mark.parametrize("target", IMPORT_FIELDS, ids=str)
def test_import_field_stores_or_refuses_hostile_input(target: ImportField, app, db):
    problems: list[str] = []
    model = MODEL_BY_KIND[target.kind]
    for n, (label, payload) in enumerate(JSON_PAYLOADS.items()):
        value = target.wrap.format(payload)
        record = {**IMPORT_BASE[target.kind], "id": f"hostile-{target}-{n}", target.name: value}
        line = json.dumps(record, ensure_ascii=True)
        where = f"{target} <- {label}"
        count = db.scalar(select(func.count()).select_from(model))
        try:
            with app.app_context():
                import_lines(db, ["", line])
            db.commit()
        except ImportFailed as error:
            db.rollback()
            text = "; ".join(str(p) for p in error.problems)
            if "line 2" not in text or target.name not in text and not _named_by_message(target, text):
                problems.append(f"{where}: refused without naming line and field: {text[:200]}")
            if db.scalar(select(func.count()).select_from(model)) != count:
                problems.append(f"{where}: refused, yet something was stored")
            continue
        except Exception as error:  # noqa: BLE001  (the point is to see any crash)
            db.rollback()
            problems.append(f"{where}: crashed with {type(error).__name__}: {str(error)[:200]}")
            continue
        db.expire_all()
        external_id = unicodedata.normalize("NFC", value) if target.name == "id" else record["id"]
        stored = db.scalar(select(model).where(model.external_id == external_id))
        if stored is None:
            problems.append(f"{where}: imported, but not found by its id")
        elif not faithful(target.read(stored), value):
            got = target.read(stored)
            shown = f"{len(got)} chars" if isinstance(got, str) and len(got) > 200 else repr(got)[:80]
            problems.append(f"{where}: stored {shown}, not what was sent")
    assert not problems, "\n".join(problems)


def _named_by_message(target: ImportField, text: str) -> bool:
    """Some refusals name the field in words rather than by its key."""
    return target.name == "organisation" and "organisation" in text or target.name == "id" and " id " in text
