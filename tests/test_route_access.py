"""A security review of every route, driven by the app's own URL map.

1. Anonymous: every route not on a short public allow-list, filled with the ids of real objects,
   answers a redirect to sign-in (pages) or 401 JSON (API). A new route without sign-in, or one
   whose arguments the walker cannot fill, fails the walk.
2. Roles: per role, a table of what it may do to other organisations' objects, through pages and
   the API; refused requests leave every stored object as it was. Walks of the URL map check that
   hidden objects are "not found" on every route that takes them, that organiser routes refuse
   other organisers, and that no listing, search or match shows them.
3. CSRF: every state-changing page refuses a request without a token (400) and changes nothing;
   the API is token-authenticated, needs no CSRF token, and ignores the session cookie (401).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from werkzeug.routing import AnyConverter, IntegerConverter, PathConverter, UnicodeConverter

from matchmaker.models import (
    ApiToken,
    Base,
    Collaboration,
    CollaborationTerms,
    Follow,
    FundingInstrument,
    JoinRequest,
    OrganisationInvitation,
    Profile,
    User,
)
from matchmaker.models.types import utcnow
from matchmaker.web import arena_event_day as event_day_pages
from matchmaker.web.sign_in import public

# --- the world: other organisations' objects, and one user per role ----------------------------

ROLES = ("supplier", "clinical", "trust", "funder", "organiser", "unapproved", "admin")


@dataclass
class World:
    users: dict[str, User]  # one per role; none of them belongs to the organisations below
    tokens: dict[str, str]  # an API token per role
    ids: dict[str, int]  # objects of other organisations, by the names the paths below use


def _instrument(make, agency, **fields) -> FundingInstrument:
    values = {"title": "Their pilot programme", "description": "Funds pilots of stroke imaging in hospitals.",
              "language": "en", "status": "published", "applicants": ["health_trust"], "purposes": ["pilot"],
              "currency": "NOK", "deadline": date.today() + timedelta(days=90), "clinical_areas": [],
              "countries": [], "passages": [], "requirements": "", "url": ""}
    return make._save(FundingInstrument(organisation_id=agency.id, **{**values, **fields}))


@pytest.fixture
def world(make, db) -> World:
    trust = make.organisation("health_trust")
    department = make.organisation("clinical_department", parent_id=trust.id)
    supplier, agency = make.organisation("supplier"), make.organisation("funding_agency")
    clinician, funder = make.user(department, organisation_role="admin"), make.user(agency)
    colleague = make.user(department)
    invitation = make._save(OrganisationInvitation(organisation_id=department.id, email="invited@example.org",
                                                   invited_by_id=clinician.id, expires_at=utcnow() + timedelta(days=7)))
    join_request = make._save(JoinRequest(organisation_id=department.id, user_id=make.user().id, status="pending"))
    need, need_draft = make.need(department), make.need(department, status="draft", title="Hidden draft need")
    capability = make.capability(supplier)
    capability_draft = make.capability(supplier, status="draft", title="Hidden draft product")
    collaboration = make._save(Collaboration(
        need=need, capability=capability, supplier_id=supplier.id, department_id=department.id,
        proposed_by_id=supplier.id, stage="accepted",
        terms=[CollaborationTerms(version=1, scope="Their private pilot", test_type="pilot")]))
    instrument = _instrument(make, agency)
    instrument_draft = _instrument(make, agency, status="draft", title="Hidden draft programme")
    follow = make._save(Follow(user_id=funder.id, need_id=need.id))
    make.token(clinician)
    token = db.scalar(select(ApiToken).where(ApiToken.user_id == clinician.id))

    # Another organiser's arena, held in the past: a published meeting, a request waiting for its
    # recipient and a registration waiting for approval.
    arena = make.arena(slots=3, tables=2, day="2024-06-03")
    a, b = make.participant(arena, kind="supplier"), make.participant(arena, kind="supplier")
    x = make.participant(arena, kind="clinical_department")
    meeting = make.meeting(arena, a, x, note="Their note")
    meeting.place(arena.slots[0], arena.tables[0])
    meeting.published_at = arena.schedule_published_at = utcnow()
    db.commit()
    pending = make.meeting(arena, b, x, status="pending")
    waiting = make.participant(arena, kind="supplier", status="pending")

    own_trust = make.organisation("health_trust")
    users = {
        "supplier": make.user(kind="supplier"),
        "clinical": make.user(make.organisation("clinical_department", parent_id=own_trust.id)),
        "trust": make.user(own_trust),
        "funder": make.user(kind="funding_agency"),
        "organiser": make.user(kind="arena_organiser"),  # runs arenas, but not this one
        "unapproved": make.user(make.organisation("supplier", approved=False)),
        "admin": make.user(is_admin=True),
    }
    for role in ("supplier", "clinical"):  # approved participants of the arena, in none of its meetings
        make.participant(arena, user=users[role])
    # The roles' own objects, for requests that name another organisation's object in the body.
    own_arena = make.arena(organiser=users["organiser"].organisation, slots=2, tables=1)
    stranger = make.participant(own_arena, kind="supplier")
    own_meeting = make.meeting(own_arena, stranger, make.participant(own_arena, kind="clinical_department"))
    own_capability = make.capability(users["supplier"].organisation)
    make.capability(users["unapproved"].organisation, title="Hidden pending product")  # published, unapproved
    ids = {"need": need.id, "need_draft": need_draft.id, "capability": capability.id,
           "capability_draft": capability_draft.id, "collaboration": collaboration.id, "instrument": instrument.id,
           "instrument_draft": instrument_draft.id, "follow": follow.id, "token": token.id, "arena": arena.id,
           "meeting": meeting.id, "pending": pending.id, "registration": waiting.id, "organisation": department.id,
           "trust": trust.id, "supplier_org": supplier.id, "pending_org": users["unapproved"].organisation_id,
           "free_slot": arena.slots[2].id, "free_table": arena.tables[1].id, "own_arena": own_arena.id,
           "own_meeting": own_meeting.id, "stranger": stranger.id, "own_capability": own_capability.id,
           "seated": a.id, "member": colleague.id, "invitation": invitation.id, "join_request": join_request.id}
    return World(users, {role: make.token(user) for role, user in users.items()}, ids)


# Everything a refused request could have changed. Bookkeeping (token use, sign-in times, match
# views, audit entries, the index log) is left out: it may change on any request.
SNAPSHOT_TABLES = ("organisations", "users", "api_tokens", "profiles", "profile_tags", "need_co_owners",
                   "collaborations", "collaboration_terms", "collaboration_events", "funding_instruments",
                   "funding_links", "follows", "arenas", "arena_participants", "meetings", "meeting_seats",
                   "notifications", "notification_preferences", "email_outbox", "arena_arrivals", "meeting_ratings",
                   "organisation_invitations", "join_requests")
BOOKKEEPING_COLUMNS = {"last_used_at", "last_login_at"}


def snapshot(db) -> dict[str, list]:
    state = {}
    for name in SNAPSHOT_TABLES:
        table = Base.metadata.tables[name]
        columns = [column for column in table.columns if column.name not in BOOKKEEPING_COLUMNS]
        state[name] = db.execute(select(*columns).order_by(*table.primary_key.columns)).all()
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def sign_in(client, user: User | None) -> None:
    """Signs in by session, as Flask-Login does, without a form (and so without a CSRF token)."""
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True


# --- the walker: every rule, every method, arguments from converters and names -------------------

# The only routes anyone may use without signing in.
PUBLIC_ENDPOINTS = {"main.index", "auth.login", "auth.register", "auth.set_language", "static",
                    "api.openapi_document", "members.open_invitation"}  # an invitation's link, for newcomers
# Password reset is public by nature: asking for a link, opening it, choosing the new password.
PASSWORD_RESET_ENDPOINTS = {"password_reset.forgot", "password_reset.open_link", "password_reset.choose"}

# Argument name -> value, from the world's ids (a key) or computed from the other arguments.
ARGUMENTS = {
    "profile_id": lambda ids, args: ids["capability" if args.get("section") == "capabilities" else "need"],
    "need_id": "need", "collaboration_id": "collaboration", "arena_id": "arena", "meeting_id": "meeting",
    "participant_id": "registration", "instrument_id": "instrument", "follow_id": "follow", "token_id": "token",
    "organisation_id": "organisation", "user_id": "member", "invitation_id": "invitation",
    "request_id": "join_request",
    "filename": lambda ids, args: "app.css",
    "token": lambda ids, args: "not-a-valid-token",
}
CONVERTERS = (AnyConverter, IntegerConverter, PathConverter, UnicodeConverter)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class Unfillable(Exception):
    """A route the walker cannot fill: teach ARGUMENTS the new argument."""


def is_public(rule) -> bool:
    return rule.endpoint in PUBLIC_ENDPOINTS | PASSWORD_RESET_ENDPOINTS


def test_the_pages_open_to_everyone_are_the_ones_marked_public(app):
    """Sign-in is denied by default: a page is open only when its view says so."""
    marked = {endpoint for endpoint, view in app.view_functions.items() if getattr(view, "is_public", False)}
    assert marked | {"static", "api.openapi_document"} == PUBLIC_ENDPOINTS | PASSWORD_RESET_ENDPOINTS


def is_api(rule) -> bool:
    return rule.rule.startswith("/api/")


def fillings(rule, ids: dict[str, int]) -> list[str]:
    """One path per combination of the rule's fixed choices (section, action, layout), each with
    the ids of real objects."""
    converters = rule._converters
    for name, converter in converters.items():
        if not isinstance(converter, CONVERTERS) or not (isinstance(converter, AnyConverter) or name in ARGUMENTS):
            raise Unfillable(f"{rule.rule}: no value for <{name}> ({type(converter).__name__}); add it to ARGUMENTS")
    choices = {name: sorted(c.items) for name, c in converters.items() if isinstance(c, AnyConverter)}
    paths = []
    for combination in itertools.product(*choices.values()):
        args = dict(zip(choices, combination, strict=True))
        for name in converters.keys() - choices.keys():
            source = ARGUMENTS[name]
            args[name] = source(ids, args) if callable(source) else ids[source]
        paths.append(rule.build(args, append_unknown=False)[1])
    return paths


def walk(app, ids, keep=lambda rule, method: True):
    """(rule, method, path) for every rule and method the filter keeps, and the unfillable rules."""
    requests, unfillable = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        methods = sorted(m for m in rule.methods if m not in ("HEAD", "OPTIONS") and keep(rule, m))
        if not methods:
            continue
        try:
            paths = fillings(rule, ids)
        except Unfillable as error:
            unfillable.append(str(error))
            continue
        requests += [(rule, method, path) for method in methods for path in paths]
    return requests, unfillable


def anonymous_problems(client, requests) -> list[str]:
    problems = []
    for rule, method, path in requests:
        response = client.open(path, method=method)
        status, where = response.status_code, f"{method} {path} ({rule.endpoint})"
        if status >= 500:
            problems.append(f"{where}: {status}")
        elif is_public(rule):
            continue
        elif is_api(rule):
            if status != 401 or not (response.is_json and response.json["error"]["message"]):
                problems.append(f"{where}: {status}, wanted 401 JSON")
        elif status != 302 or urlsplit(response.headers["Location"]).path != "/login":
            problems.append(f"{where}: {status} {response.headers.get('Location', '')}, wanted a redirect to "
                            "sign-in (or add it to PUBLIC_ENDPOINTS, if it really is public)")
    return problems


def test_every_route_but_the_public_ones_requires_sign_in(app, client, world):
    requests, unfillable = walk(app, world.ids)
    problems = unfillable + anonymous_problems(client, requests)
    assert not problems, "\n".join(problems)
    assert len(requests) > 100  # the walk saw the whole app, not an empty map
    assert {rule.endpoint for rule in app.url_map.iter_rules()} >= PUBLIC_ENDPOINTS  # no stale entries


def test_the_walk_fails_on_a_route_it_cannot_fill(app, world):
    app.add_url_rule("/widgets/<int:widget_id>", "widget", lambda widget_id: "")
    _requests, unfillable = walk(app, world.ids)
    assert [problem.split(" (")[0] for problem in unfillable] == [
        "/widgets/<int:widget_id>: no value for <widget_id>"]


def test_a_new_page_is_closed_and_the_walk_fails_on_one_marked_public(app, client, world):
    app.add_url_rule("/closed/<int:profile_id>", "closed", lambda profile_id: "secret", methods=["GET", "POST"])
    app.add_url_rule("/leaky/<int:profile_id>", "leaky", public(lambda profile_id: "secret"), methods=["GET", "POST"])
    closed, _ = walk(app, world.ids, lambda rule, method: rule.endpoint == "closed")
    assert len(closed) == 2 and anonymous_problems(client, closed) == []
    requests, _ = walk(app, world.ids, lambda rule, method: rule.endpoint == "leaky")
    assert [problem.split(":")[0] for problem in anonymous_problems(client, requests)] == [
        f"GET /leaky/{world.ids['need']} (leaky)", f"POST /leaky/{world.ids['need']} (leaky)"]


# --- roles: other organisations' objects --------------------------------------------------------

def each(default: int, **exceptions: int) -> dict[str, int]:
    """The status every role gets, but for the named exceptions."""
    return {role: exceptions.get(role, default) for role in ROLES}


PROFILE_FORM = {"title": "Changed by someone", "description": "A description long enough to be valid.",
                "language": "en", "action": "publish"}
TERMS_FORM = {"scope": "Taken over by someone else", "test_type": "pilot"}
HIDDEN = each(404, admin=200)  # drafts and private records: not found, but for administrators
HIDDEN_WRITE = each(404, admin=403)  # administrators see them, but do not change them
REFUSED = each(403)
ORGANISER_ONLY = each(403, admin=302)  # administrators help run every arena
INDICATORS = each(403, admin=200)
ARENA_ORGANISER_ONLY = each(403, admin=200)  # the API's answer to what ORGANISER_ONLY pages redirect

# (what, method, path, body, status per role); {names} are the ids of the world's objects.
PAGE_CASES = [
    ("read another's draft need", "GET", "/needs/{need_draft}", None, HIDDEN),
    ("read another's draft capability", "GET", "/capabilities/{capability_draft}", None, HIDDEN),
    ("matches of another's draft", "GET", "/needs/{need_draft}/matches", None, HIDDEN),
    ("funding for another's draft", "GET", "/funding/needs/{need_draft}", None, HIDDEN),
    ("edit another's need", "POST", "/needs/{need}/edit", PROFILE_FORM, REFUSED),
    ("edit another's capability", "POST", "/capabilities/{capability}/edit", PROFILE_FORM, REFUSED),
    ("edit another's draft", "POST", "/needs/{need_draft}/edit", PROFILE_FORM, HIDDEN_WRITE),
    ("publish another's draft", "POST", "/capabilities/{capability_draft}/publish", None, HIDDEN_WRITE),
    ("archive another's need", "POST", "/needs/{need}/archive", None, REFUSED),
    ("archive another's capability", "POST", "/capabilities/{capability}/archive", None, REFUSED),
    ("join another's draft need", "POST", "/needs/{need_draft}/join", {"site": "Ours"}, HIDDEN_WRITE),
    ("propose on another's draft", "POST", "/collaborations/new", {**TERMS_FORM, "need_id": "{need_draft}"},
     each(404, admin=422)),  # administrators see the draft, but collaborations start from published needs
    ("edit another organisation (form)", "GET", "/organisations/{organisation}/edit", None, REFUSED),
    ("edit another organisation", "POST", "/organisations/{organisation}/edit", {"name": "Taken over"}, REFUSED),
    ("see an unapproved organisation", "GET", "/organisations/{pending_org}", None,
     each(404, unapproved=200, admin=200)),
    ("another organisation's members", "GET", "/organisations/{organisation}/members", None, REFUSED),
    ("promote in another organisation", "POST", "/organisations/{organisation}/members/{member}/role",
     {"role": "admin"}, REFUSED),
    ("remove from another organisation", "POST", "/organisations/{organisation}/members/{member}/remove", None,
     REFUSED),
    ("leave another organisation", "POST", "/organisations/{organisation}/leave", None, REFUSED),
    ("invite to another organisation", "POST", "/organisations/{organisation}/invitations",
     {"email": "forged@example.org"}, REFUSED),
    ("withdraw another organisation's invitation", "POST",
     "/organisations/{organisation}/invitations/{invitation}/revoke", None, REFUSED),
    *[(f"{action} a request to join another organisation", "POST",
       "/organisations/{organisation}/join-requests/{join_request}", {"action": action}, REFUSED)
      for action in ("approve", "decline")],
    ("approve an organisation", "POST", "/admin/organisations/{pending_org}/approve", None,
     each(403, admin=302)),
    ("decline an organisation", "POST", "/admin/organisations/{pending_org}/decline", {"reason": "Not in health"},
     each(403, admin=302)),
    ("read a private collaboration", "GET", "/collaborations/{collaboration}", None, HIDDEN),
    ("terms form of a private collaboration", "GET", "/collaborations/{collaboration}/terms", None, HIDDEN),
    ("new terms for a private collaboration", "POST", "/collaborations/{collaboration}/terms", TERMS_FORM,
     HIDDEN_WRITE),
    *[(f"{action} a private collaboration", "POST", f"/collaborations/{{collaboration}}/{action}", body,
       HIDDEN_WRITE) for action, body in (("move", {"to": "agreement"}), ("agree", None),
                                          ("comment", {"text": "Hello"}), ("listing", {"listed": "1"}),
                                          ("result", {"summary": "It worked"}))],
    ("seek funding for a private collaboration", "POST", "/funding/collaborations/{collaboration}/seek",
     {"instrument_id": "{instrument}"}, HIDDEN_WRITE),
    ("stop seeking for a private collaboration", "POST", "/funding/collaborations/{collaboration}/unseek",
     {"instrument_id": "{instrument}"}, HIDDEN_WRITE),
    ("follow a private collaboration", "POST", "/funding/follow", {"collaboration_id": "{collaboration}"},
     each(404, admin=302)),
    ("read another agency's draft", "GET", "/funding/{instrument_draft}", None, HIDDEN),
    ("edit another agency's instrument (form)", "GET", "/funding/{instrument}/edit", None, REFUSED),
    ("edit another agency's instrument", "POST", "/funding/{instrument}/edit", {"title": "Taken over"}, REFUSED),
    ("archive another agency's instrument", "POST", "/funding/{instrument}/archive", None, REFUSED),
    ("publish another agency's draft", "POST", "/funding/{instrument_draft}/publish", None, HIDDEN_WRITE),
    ("stop another user's follow", "POST", "/funding/follows/{follow}/delete", None, each(404)),
    ("revoke another user's token", "POST", "/account/tokens/{token}/revoke", None, each(404)),
    ("another trust's indicators", "GET", "/indicators?organisation={trust}", None, INDICATORS),
    ("another department's indicators", "GET", "/indicators?organisation={organisation}", None, INDICATORS),
    ("another trust's indicators as CSV", "GET", "/indicators.csv?organisation={trust}", None, INDICATORS),
    ("another trust's overview", "GET", "/indicators/trust?organisation={trust}", None, INDICATORS),
    ("another organiser's arena form", "GET", "/arenas/{arena}/edit", None, each(403, admin=200)),
    ("another organiser's registrations", "GET", "/arenas/{arena}/registrations", None, each(403, admin=200)),
    ("another organiser's schedule export", "GET", "/arenas/{arena}/schedule.csv", None, each(403, admin=200)),
    ("edit another organiser's arena", "POST", "/arenas/{arena}/edit", {"title": "Taken over"},
     each(403, admin=422)),
    ("run another organiser's scheduler", "POST", "/arenas/{arena}/schedule/run", None, ORGANISER_ONLY),
    ("publish another organiser's schedule", "POST", "/arenas/{arena}/schedule/publish", None, ORGANISER_ONLY),
    *[(f"{action} a meeting in another organiser's arena", "POST", f"/arenas/{{arena}}/meetings/{{meeting}}/{action}",
       {"slot_id": "{free_slot}", "table_id": "{free_table}"}, ORGANISER_ONLY)
      for action in ("move", "lock", "remove")],
    ("approve a registration in another organiser's arena", "POST", "/arenas/{arena}/registrations/{registration}",
     {"action": "approve"}, ORGANISER_ONLY),
    ("mark another participant's meeting", "POST", "/arenas/{arena}/meetings/{meeting}/attendance",
     {"attendance": "no_show"}, each(404, admin=302)),
    ("cancel another participant's meeting", "POST", "/arenas/{arena}/meetings/{meeting}/cancel", None, each(404)),
    ("check-in page of another organiser's arena", "GET", "/arenas/{arena}/check-in", None, each(403, admin=200)),
    ("check someone in at another organiser's arena", "POST", "/arenas/{arena}/check-in/people/{seated}/arrive",
     None, ORGANISER_ONLY),
    ("undo a check-in at another organiser's arena", "POST", "/arenas/{arena}/check-in/people/{seated}/undo",
     None, ORGANISER_ONLY),
    ("rate another participant's meeting", "POST", "/arenas/{arena}/meetings/{meeting}/rating", {"score": "5"},
     each(404)),
    ("answer another participant's request", "POST", "/arenas/{arena}/meetings/{pending}/respond",
     {"action": "accept"}, each(403)),
]

API_CASES = [
    ("read another's draft need", "GET", "/needs/{need_draft}", None, HIDDEN),
    ("read another's draft capability", "GET", "/capabilities/{capability_draft}", None, HIDDEN),
    *[(f"{what} of another's draft", "GET", f"/needs/{{need_draft}}/{what}", None, HIDDEN)
      for what in ("matches", "similar", "co-owners", "instruments")],
    ("change another's need", "PATCH", "/needs/{need}", {"title": "Changed by someone"}, REFUSED),
    ("change another's capability", "PATCH", "/capabilities/{capability}", {"title": "Changed by someone"}, REFUSED),
    ("change another's draft", "PATCH", "/needs/{need_draft}", {"title": "Changed by someone"}, HIDDEN_WRITE),
    ("archive another's need", "POST", "/needs/{need}/archive", None, REFUSED),
    ("archive another's capability", "POST", "/capabilities/{capability}/archive", None, REFUSED),
    ("archive another's draft", "POST", "/capabilities/{capability_draft}/archive", None, HIDDEN_WRITE),
    ("join another's draft need", "POST", "/needs/{need_draft}/join", {"site": "Ours"}, HIDDEN_WRITE),
    ("leave another's draft need", "POST", "/needs/{need_draft}/leave", None, each(404)),
    ("see an unapproved organisation", "GET", "/organisations/{pending_org}", None,
     each(404, unapproved=200, admin=200)),
    ("another organisation's members", "GET", "/organisations/{organisation}/members", None, REFUSED),
    *[(f"{change} in another organisation", "POST", f"/organisations/{{organisation}}/members/{{member}}/{change}",
       None, REFUSED) for change in ("promote", "demote")],
    ("remove from another organisation", "DELETE", "/organisations/{organisation}/members/{member}", None, REFUSED),
    ("another organisation's invitations", "GET", "/organisations/{organisation}/invitations", None, REFUSED),
    ("invite to another organisation", "POST", "/organisations/{organisation}/invitations",
     {"email": "forged@example.org"}, REFUSED),
    ("withdraw another organisation's invitation", "DELETE", "/organisations/{organisation}/invitations/{invitation}",
     None, REFUSED),
    ("another organisation's requests to join", "GET", "/organisations/{organisation}/join-requests", None, REFUSED),
    *[(f"{action} a request to join another organisation", "POST",
       f"/organisations/{{organisation}}/join-requests/{{join_request}}/{action}", None, REFUSED)
      for action in ("approve", "decline")],
    ("read a private collaboration", "GET", "/collaborations/{collaboration}", None, HIDDEN),
    ("funding for a private collaboration", "GET", "/collaborations/{collaboration}/instruments", None,
     each(404, admin=403)),  # suggestions are for the parties
    *[(f"{action} on a private collaboration", "POST", f"/collaborations/{{collaboration}}/{action}", body,
       HIDDEN_WRITE) for action, body in (("terms", {"scope": "Taken over"}), ("agree", None),
                                          ("move", {"to": "agreement"}), ("comments", {"text": "Hello"}),
                                          ("listing", {"listed": True}), ("result", {"summary": "It worked"}),
                                          ("funding", {"instrument_id": "{instrument}"}))],
    ("follow a private collaboration", "POST", "/follows", {"collaboration_id": "{collaboration}"},
     each(404, admin=201)),
    ("read another agency's draft", "GET", "/instruments/{instrument_draft}", None, HIDDEN),
    ("change another agency's instrument", "PATCH", "/instruments/{instrument}", {"title": "Taken over"}, REFUSED),
    ("change another agency's draft", "PATCH", "/instruments/{instrument_draft}", {"title": "Taken over"},
     HIDDEN_WRITE),
    ("archive another agency's instrument", "POST", "/instruments/{instrument}/archive", None, REFUSED),
    ("stop another user's follow", "DELETE", "/follows/{follow}", None, each(404)),
    ("another trust's indicators", "GET", "/indicators?organisation={trust}", None, INDICATORS),
    ("another department's indicators", "GET", "/indicators?organisation={organisation}", None, INDICATORS),
    ("another trust's overview", "GET", "/trust-overview?organisation={trust}", None, INDICATORS),
    *[(f"another organiser's {what}", "GET", f"/arenas/{{arena}}/{what}", None, ARENA_ORGANISER_ONLY)
      for what in ("registrations", "schedule", "schedule.csv", "stats")],
    ("approve a registration in another organiser's arena", "POST",
     "/arenas/{arena}/registrations/{registration}/decision", {"decision": "approve"}, ARENA_ORGANISER_ONLY),
    ("run another organiser's scheduler", "POST", "/arenas/{arena}/schedule/run", None, ARENA_ORGANISER_ONLY),
    ("publish another organiser's schedule", "POST", "/arenas/{arena}/schedule/publish", None,
     ARENA_ORGANISER_ONLY),
    *[(f"{action} a meeting in another organiser's arena", "POST", f"/arenas/{{arena}}/meetings/{{meeting}}/{action}",
       {"slot_id": "{free_slot}", "table_id": "{free_table}"} if action == "move" else None, ARENA_ORGANISER_ONLY)
      for action in ("move", "lock", "unlock", "remove")],
    ("the agenda of an arena one does not take part in", "GET", "/arenas/{arena}/agenda", None,
     each(403, supplier=200, clinical=200)),
    ("cancel another participant's meeting", "POST", "/arenas/{arena}/meetings/{meeting}/cancel", None, each(404)),
    ("answer another participant's request", "POST", "/arenas/{arena}/meetings/{pending}/answer",
     {"answer": "accept"}, each(403)),
    ("check someone in at another organiser's arena", "POST", "/arenas/{arena}/check-ins/{seated}", None,
     each(403, admin=200)),
    ("undo a check-in at another organiser's arena", "DELETE", "/arenas/{arena}/check-ins/{seated}", None,
     each(403, admin=200)),
    ("rate another participant's meeting", "PUT", "/arenas/{arena}/meetings/{meeting}/rating", {"score": 5},
     each(404)),
    ("now and next at an arena one has no place in", "GET", "/arenas/{arena}/now-and-next", None,
     each(403, supplier=200, clinical=200)),
    ("change another organiser's arena", "PATCH", "/arenas/{arena}", {"title": "Taken over"}, ARENA_ORGANISER_ONLY),
    ("mark another participant's meeting", "POST", "/arenas/{arena}/meetings/{meeting}/attendance",
     {"attendance": "no_show"}, each(404, admin=200)),
    # Administrators may; without an organisation of their own, they organise for nobody.
    ("create an arena", "POST", "/arenas", {"title": "Ours now", "tables": ["A"], "sessions": [
        {"day": "2030-09-01", "starts": "09:00", "ends": "10:00"}]}, each(403, organiser=201, admin=422)),
]

CASES = [("page", *case) for case in PAGE_CASES] + [("api", *case) for case in API_CASES]


def _fill(value, ids):
    """Path and body templates with the world's ids; a body value that is only an id stays a number."""
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
        return ids[value[1:-1]]
    return value.format(**ids) if isinstance(value, str) else value


@pytest.mark.parametrize(("side", "what", "method", "path", "body", "expected"), CASES,
                         ids=[f"{case[0]}: {case[1]}" for case in CASES])
def test_other_organisations_objects(app, client, db, world, side, what, method, path, body, expected):
    """Each role in turn (administrators last, as they may change things): the status the table
    states, an API error in JSON, and for refused changes every stored object as it was."""
    path, body = _fill(path, world.ids), _fill(body, world.ids)
    problems = []
    for role in ROLES:
        if side == "page":
            sign_in(client, world.users[role])
            send = {"data": body}
        else:
            path = path if path.startswith("/api/") else f"/api/v1{path}"
            send = {"json": body, "headers": {"Authorization": f"Bearer {world.tokens[role]}"}}
        before = snapshot(db)
        response = client.open(path, method=method, **send)
        status = response.status_code
        if status != expected[role]:
            problems.append(f"{role}: {status}, wanted {expected[role]}: {response.get_data(as_text=True)[-300:]}")
        if side == "api" and status >= 400 and not (response.is_json and response.json["error"]["message"]):
            problems.append(f"{role}: the {status} is not a JSON error")
        if method in WRITE_METHODS and status >= 400 and (changed := changed_tables(before, snapshot(db))):
            problems.append(f"{role}: refused with {status}, yet changed {changed}")
    assert not problems, "\n".join(problems)


# Every route that takes one of these arguments, filled with another organisation's draft, private
# collaboration, follow, token or unapproved organisation instead of its public objects.
HIDDEN_ARGUMENTS = {"profile_id", "need_id", "collaboration_id", "instrument_id", "follow_id", "token_id",
                    "organisation_id"}
WHOLLY_REFUSED = {"admin.approve", "admin.decline"}  # refused to the role before the object is looked up: 403


@pytest.mark.parametrize("role", ["supplier", "clinical", "funder", "organiser"])
def test_hidden_objects_are_not_found_on_any_route(app, client, db, world, role):
    """Driven by the URL map, so a new route on these objects is checked without a new table row."""
    ids = world.ids
    hidden = {**ids, "need": ids["need_draft"], "capability": ids["capability_draft"],
              "instrument": ids["instrument_draft"], "organisation": ids["pending_org"]}
    requests, problems = walk(app, hidden, lambda rule, method: bool(rule.arguments & HIDDEN_ARGUMENTS))
    sign_in(client, world.users[role])
    headers = {"Authorization": f"Bearer {world.tokens[role]}"}
    for rule, method, path in requests:
        before = snapshot(db)
        response = client.open(path, method=method, headers=headers if is_api(rule) else None,
                               **({"json": {"title": "Forged"}} if is_api(rule) else {"data": {"title": "Forged"}}))
        wanted = 403 if rule.endpoint in WHOLLY_REFUSED else 404
        if response.status_code != wanted:
            problems.append(f"{method} {path}: {response.status_code}, wanted {wanted}")
        if changed := changed_tables(before, snapshot(db)):
            problems.append(f"{method} {path}: changed {changed}")
    assert not problems, "\n".join(problems)
    assert len(requests) > 40


def is_organiser_route(app, rule) -> bool:
    """The organiser's pages, and the API's organiser operations."""
    module = app.view_functions[rule.endpoint].__module__
    return rule.endpoint.startswith("arena_organiser.") or rule.endpoint in ("arenas.edit", "api.update_arena") \
        or rule.endpoint in event_day_pages.ORGANISER_ENDPOINTS or module == "matchmaker.api.arena_organiser"


@pytest.mark.parametrize("role", ["organiser", "supplier"])
def test_every_organiser_route_refuses_others(app, client, db, world, role):
    """Another arena's organiser, and a participant of the arena: 403 on every organiser route,
    page or API."""
    requests, problems = walk(app, world.ids, lambda rule, method: is_organiser_route(app, rule))
    sign_in(client, world.users[role])
    headers = {"Authorization": f"Bearer {world.tokens[role]}"}
    before = snapshot(db)
    for rule, method, path in requests:
        body = {"action": "approve", "slot_id": world.ids["free_slot"], "table_id": world.ids["free_table"]}
        send = {"json": {**body, "decision": "approve"}, "headers": headers} if is_api(rule) else {"data": body}
        response = client.open(path, method=method, **send)
        if response.status_code != 403:
            problems.append(f"{method} {path}: {response.status_code}, wanted 403")
    assert not problems, "\n".join(problems)
    assert not changed_tables(before, snapshot(db))
    assert len(requests) > 20 and any(is_api(rule) for rule, _method, _path in requests)


SECRETS = ("Hidden draft need", "Hidden draft product", "Hidden pending product", "Hidden draft programme",
           "Their private pilot")
LISTINGS = ["/needs", "/needs?mine=1", "/needs?organisation={organisation}", "/capabilities?q=Hidden",
            "/capabilities?mine=1&organisation={supplier_org}", "/organisations", "/organisations/{organisation}",
            "/organisations/{supplier_org}", "/collaborations", "/funding", "/funding/following", "/dashboard",
            "/match?text=Hidden+draft&kind=need", "/match?text=Hidden+product&kind=capability",
            "/needs/{need}/matches", "/needs/{need}/similar", "/capabilities/{capability}/matches",
            "/api/v1/needs?organisation={organisation}", "/api/v1/needs?mine=true", "/api/v1/capabilities?q=Hidden",
            "/api/v1/capabilities?organisation={supplier_org}", "/api/v1/collaborations?listed=true",
            "/api/v1/instruments", "/api/v1/instruments?mine=true", "/api/v1/follows", "/api/v1/organisations",
            "/api/v1/needs/{need}/similar", "/api/v1/needs/{need}/matches", "/api/v1/capabilities/{capability}/matches"]


@pytest.mark.parametrize("role", ["supplier", "clinical", "funder", "organiser"])
def test_listings_and_matches_never_show_hidden_objects(client, db, index, world, role):
    """Lists, searches and matches: the other way a draft or a private record could leak."""
    index(*db.scalars(select(Profile)))
    sign_in(client, world.users[role])
    headers = {"Authorization": f"Bearer {world.tokens[role]}"}
    responses = {path: client.get(path.format(**world.ids), headers=headers if path.startswith("/api/") else None)
                 for path in LISTINGS}
    responses["POST /api/v1/match"] = client.post("/api/v1/match", headers=headers,
                                                  json={"text": "hidden draft need and product", "kind": "need"})
    problems = [f"{path}: {response.status_code}" for path, response in responses.items()
                if response.status_code != 200]
    problems += [f"{path}: shows {secret!r}" for path, response in responses.items()
                 for secret in SECRETS if secret in response.get_data(as_text=True)]
    collaboration = f"/collaborations/{world.ids['collaboration']}"
    problems += [f"{path}: links {collaboration}" for path, response in responses.items()
                 if f'{collaboration}"' in response.get_data(as_text=True)]
    assert not problems, "\n".join(problems)
    assert not responses["/api/v1/collaborations?listed=true"].json["items"]


# What each role may open for itself (200); every other role gets 403. The refusals above are
# not passing for want of a working role.
MAY_OPEN = {
    "/needs/new": {"clinical", "trust"},
    "/capabilities/new": {"supplier", "unapproved"},  # an unapproved organisation prepares its profiles
    "/funding/new": {"funder"},
    "/funding/fitting": {"funder"},
    "/arenas/new": {"organiser", "admin"},
    "/admin/organisations": {"admin"},
    "/indicators": {"clinical", "trust", "funder", "admin"},
    "/indicators/trust": {"clinical", "trust"},
    "/api/v1/indicators": {"clinical", "trust", "funder", "admin"},
    "/api/v1/trust-overview": {"clinical", "trust"},
}


@pytest.mark.parametrize("path", list(MAY_OPEN))
def test_what_each_role_may_open(client, world, path):
    statuses = {}
    for role in ROLES:
        if path.startswith("/api/"):
            response = client.get(path, headers={"Authorization": f"Bearer {world.tokens[role]}"})
        else:
            sign_in(client, world.users[role])
            response = client.get(path)
        statuses[role] = response.status_code
    assert statuses == {role: 200 if role in MAY_OPEN[path] else 403 for role in ROLES}


def test_a_funder_may_follow_and_unfollow_what_it_sees(client, db, world):
    """The counterpart of the refusals: the same routes work on one's own objects."""
    funder = world.users["funder"]
    sign_in(client, funder)
    assert client.post("/funding/follow", data={"need_id": world.ids["need"]}).status_code == 302
    own = db.scalar(select(Follow).where(Follow.user_id == funder.id))
    assert client.post(f"/funding/follows/{own.id}/delete").status_code == 302
    assert db.scalar(select(Follow).where(Follow.user_id == funder.id)) is None


# A request on one's own object that names another organisation's object in its body: refused,
# even where the refusal is a flash message on a redirect, and nothing is stored.
# (role, what, method, path, body, status)
REFERENCE_CASES = [
    ("organiser", "move an own meeting into another arena's slot", "POST",
     "/arenas/{own_arena}/meetings/{own_meeting}/move", {"slot_id": "{free_slot}", "table_id": "{free_table}"}, 302),
    ("trust", "register with another organisation's profile", "POST", "/arenas/{arena}/register",
     {"profile_id": "{need}"}, 422),
    ("supplier", "request a meeting with another arena's participant", "POST", "/arenas/{arena}/requests",
     {"recipient_id": "{stranger}"}, 404),
    ("organiser", "move an own meeting into another arena's slot", "POST",
     "/api/v1/arenas/{own_arena}/meetings/{own_meeting}/move", {"slot_id": "{free_slot}", "table_id": "{free_table}"},
     422),
    ("trust", "register with another organisation's profile", "POST", "/api/v1/arenas/{arena}/registration",
     {"profile_id": "{need}"}, 422),
    ("supplier", "request a meeting with another arena's participant", "POST", "/api/v1/arenas/{arena}/requests",
     {"recipient_id": "{stranger}"}, 404),
    ("supplier", "propose from another participant's meeting", "POST", "/collaborations/new?meeting={meeting}",
     {**TERMS_FORM, "need_id": "{need}", "capability_id": "{own_capability}"}, 404),
    ("supplier", "propose with another supplier's capability", "POST", "/api/v1/collaborations",
     {"need_id": "{need}", "capability_id": "{capability}"}, 403),
    ("funder", "follow for another agency's draft", "POST", "/funding/follow",
     {"need_id": "{need}", "instrument_id": "{instrument_draft}"}, 404),
    ("funder", "follow for another agency's draft", "POST", "/api/v1/follows",
     {"need_id": "{need}", "instrument_id": "{instrument_draft}"}, 404),
    ("clinical", "seek funding for another's collaboration", "POST", "/api/v1/collaborations/{collaboration}/funding",
     {"instrument_id": "{instrument}"}, 404),
]


@pytest.mark.parametrize(("role", "what", "method", "path", "body", "status"), REFERENCE_CASES,
                         ids=[f"{case[0]}: {case[1]}{' (API)' * case[3].startswith('/api/')}"
                              for case in REFERENCE_CASES])
def test_references_to_other_organisations_objects(client, db, world, role, what, method, path, body, status):
    path, body = _fill(path, world.ids), _fill(body, world.ids)
    if path.startswith("/api/"):
        send = {"json": body, "headers": {"Authorization": f"Bearer {world.tokens[role]}"}}
    else:
        sign_in(client, world.users[role])
        send = {"data": body}
    before = snapshot(db)
    response = client.open(path, method=method, **send)
    assert response.status_code == status, response.get_data(as_text=True)[-600:]
    assert not changed_tables(before, snapshot(db))


# --- CSRF ---------------------------------------------------------------------------------------

@pytest.mark.csrf
def test_page_writes_without_a_csrf_token_are_refused(app, client, db, world):
    """Signed in as an administrator, who could do most of these: every state-changing page answers
    400 without a token, before any other check, and nothing is stored."""
    requests, problems = walk(app, world.ids, lambda rule, method: method in WRITE_METHODS and not is_api(rule))
    sign_in(client, world.users["admin"])
    before = snapshot(db)
    for _rule, method, path in requests:
        response = client.open(path, method=method, data={"title": "Forged", "action": "publish"})
        if response.status_code != 400:
            problems.append(f"{method} {path}: {response.status_code}, wanted 400")
        if changed := changed_tables(before, snapshot(db)):
            problems.append(f"{method} {path}: changed {changed}")
    assert not problems, "\n".join(problems)
    assert len(requests) > 40
    assert client.get("/dashboard").status_code == 200  # even signing out needs the token


@pytest.mark.csrf
def test_the_api_ignores_the_session_cookie(app, client, db, world):
    """A browser session alone reaches nothing on the API, so a forged cross-site request has no
    credentials to ride on."""
    requests, problems = walk(app, world.ids, lambda rule, method: is_api(rule) and not is_public(rule))
    sign_in(client, world.users["admin"])
    before = snapshot(db)
    for _rule, method, path in requests:
        response = client.open(path, method=method, json={"title": "Forged"} if method in WRITE_METHODS else None)
        if response.status_code != 401 or not response.is_json:
            problems.append(f"{method} {path}: {response.status_code}, wanted 401 JSON")
    assert not problems, "\n".join(problems)
    assert not changed_tables(before, snapshot(db))
    assert client.get("/dashboard").status_code == 200  # the session itself is valid


@pytest.mark.csrf
def test_api_writes_need_a_token_but_no_csrf_token(app, client, db, world):
    """With CSRF protection on, every API write with a bearer token is answered by the API (JSON,
    never the CSRF error page), and simple ones succeed."""
    requests, problems = walk(app, world.ids, lambda rule, method: is_api(rule) and method in WRITE_METHODS)
    headers = {"Authorization": f"Bearer {world.tokens['clinical']}"}
    for _rule, method, path in requests:
        response = client.open(path, method=method, json={}, headers=headers)
        if response.status_code >= 500 or not response.is_json or response.status_code == 401:
            problems.append(f"{method} {path}: {response.status_code} {response.content_type}")
    assert not problems, "\n".join(problems)
    assert client.post("/api/v1/notifications/read", headers=headers).status_code == 200
    created = client.post("/api/v1/needs", headers=headers, json={
        "title": "Made through the API", "description": "A description long enough to be valid.", "language": "en"})
    assert created.status_code == 201, created.json
