"""What the browser is told: security headers and no inline script on every page, cookie
flags; and what is kept: modern password hashes, API tokens hashed and never logged."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import urllib.error
import urllib.request
from collections import deque
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from matchmaker.models import ApiToken, Collaboration, CollaborationTerms, FundingInstrument, User
from matchmaker.models.types import utcnow
from tests.apps import app_with

WALK_LIMIT = 120
SKIPPED_PATHS = re.compile(r"^/static/|\.(csv|ics|json)$|/export|/download")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>|<script[^>]*>\s*[^<\s]", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
SCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
LINK = re.compile(r'href="(/[^"#]*)"')


@pytest.fixture
def world(make, db, index):
    """Two organisations that work together, so the walk reaches most kinds of page."""
    trust = make.organisation("health_trust")
    department, supplier = make.organisation("clinical_department", parent_id=trust.id), make.organisation("supplier")
    agency = make.organisation("funding_agency")
    users = {"clinician": make.user(department), "founder": make.user(supplier), "funder": make.user(agency),
             "admin": make.user(is_admin=True)}
    need, capability = index(make.need(department), make.capability(supplier))
    make._save(Collaboration(need=need, capability=capability, supplier_id=supplier.id, department_id=department.id,
                             proposed_by_id=supplier.id, stage="accepted",
                             terms=[CollaborationTerms(version=1, scope="A pilot", test_type="pilot")]))
    make._save(FundingInstrument(
        organisation_id=agency.id, title="Pilot programme", description="Funds pilots of imaging in hospitals.",
        language="en", status="published", applicants=["health_trust"], purposes=["pilot"], currency="NOK",
        deadline=date.today() + timedelta(days=90), clinical_areas=[], countries=[], passages=[], requirements="",
        url=""))
    _arena_with_meeting(make, db, users["founder"], users["clinician"])
    return users


def _arena_with_meeting(make, db, *people: User) -> None:
    arena = make.arena()
    a, b = (make.participant(arena, user=person) for person in people)
    meeting = make.meeting(arena, a, b, note="Let us talk")
    meeting.place(arena.slots[0], arena.tables[0])
    meeting.published_at = arena.schedule_published_at = utcnow()
    db.commit()


def walk(client, start: str) -> dict[str, object]:
    """Every page reachable by links from `start`, one per path, up to WALK_LIMIT."""
    seen, pages, queue = {start}, {}, deque([start])
    while queue and len(pages) < WALK_LIMIT:
        url = queue.popleft()
        response = client.get(url)
        pages[url] = response
        if response.mimetype != "text/html":
            continue
        for link in LINK.findall(response.get_data(as_text=True)):
            link = link.replace("&amp;", "&")
            path = urlsplit(link).path
            if path not in seen and not SKIPPED_PATHS.search(path):
                seen.add(path)
                queue.append(link)
    return pages


def page_problems(url: str, response) -> list[str]:
    headers = response.headers
    problems = []
    if "default-src 'self'" not in headers.get("Content-Security-Policy", ""):
        problems.append("no Content-Security-Policy")
    if headers.get("X-Frame-Options") != "DENY" or headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Frame-Options DENY or nosniff")
    if response.mimetype == "text/html":
        page = response.get_data(as_text=True)
        for name, pattern in [("inline <script>", INLINE_SCRIPT), ("on*= attribute", EVENT_ATTRIBUTE),
                              ("style= attribute", STYLE_ATTRIBUTE), ("javascript: URL", SCRIPT_URL)]:
            if pattern.search(page):
                problems.append(f"{name}: {pattern.search(page).group(0)[:80]}")
    return [f"{url} ({response.status_code}): {problem}" for problem in problems]


def test_the_checks_find_what_they_look_for():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert INLINE_SCRIPT.search('<script src="/static/a.js">alert(1)</script>')
    assert not INLINE_SCRIPT.search('<script src="/static/a.js"></script>')
    assert EVENT_ATTRIBUTE.search('<img src=x onerror="alert(1)">')
    assert not EVENT_ATTRIBUTE.search("<p>Based on= the need</p>")


@pytest.mark.parametrize("role", ["clinician", "founder", "funder", "admin"])
def test_signed_in_walk_has_headers_and_no_inline_script(client, auth, world, role):
    auth.login(world[role])
    pages = walk(client, "/dashboard")
    assert len(pages) >= 15, sorted(pages)  # the walk saw the site, not just the dashboard
    html = [url for url, response in pages.items() if response.mimetype == "text/html"]
    assert len(html) >= 15
    problems = [problem for url, response in pages.items() for problem in page_problems(url, response)]
    assert not problems, "\n".join(problems)
    assert not [url for url, response in pages.items() if response.status_code >= 500]


def test_signed_out_and_error_pages_have_headers_and_no_inline_script(client):
    for url in ["/", "/login", "/register", "/forgot-password", "/no-such-page", "/api/v1/openapi.json"]:
        response = client.get(url)
        assert not page_problems(url, response)
    assert client.get("/no-such-page").status_code == 404


def cookie(response, name: str) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert headers, f"no {name} cookie"
    return headers[-1]


def sign_in_remembered(client, user):
    return client.post("/login", data={"email": user.email, "password": "correct-horse-battery", "remember": "y"})


def test_session_and_remember_cookies_are_httponly_and_lax(client, make):
    response = sign_in_remembered(client, make.user())
    assert response.status_code == 302
    for name in ("session", "remember_token"):
        flags = cookie(response, name)
        assert "HttpOnly" in flags and "SameSite=Lax" in flags
        assert "Secure" not in flags  # plain HTTP by default, as `make run` serves


def test_cookies_are_secure_when_configured(app, make, monkeypatch):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    response = sign_in_remembered(app_with(app).test_client(), make.user())
    for name in ("session", "remember_token"):
        flags = cookie(response, name)
        assert "Secure" in flags and "HttpOnly" in flags and "SameSite=Lax" in flags


def test_registration_stores_a_strong_scrypt_hash(client, db):
    client.post("/register", data={"name": "Kari", "email": "kari@example.org", "password": "a-long-password",
                                   "organisation_name": "Kari AS", "organisation_kind": "supplier", "country": "NO"})
    password_hash = db.scalar(select(User.password_hash).where(User.email == "kari@example.org"))
    method, _salt, _digest = password_hash.split("$")
    name, cost, block_size, parallel = method.split(":")
    assert name == "scrypt" and int(cost) >= 2**15 and int(block_size) >= 8 and int(parallel) >= 1
    assert "a-long-password" not in password_hash


def test_api_tokens_are_stored_hashed_and_shown_once(client, auth, make, db):
    user = make.user()
    auth.login(user)
    page = client.post("/account/tokens", data={"token-token_name": "export"}).get_data(as_text=True)
    plain = re.search(r'id="new-token">(mm_[\w-]+)<', page).group(1)
    stored = db.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert stored.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in (stored.token_hash, stored.prefix, stored.name) and plain.startswith(stored.prefix)
    assert plain not in client.get("/account").get_data(as_text=True)


def serve(app):
    """The app behind werkzeug's own server, whose request log is what a development server writes."""
    server = make_server("127.0.0.1", 0, app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def fetch(server, path: str, token: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{server.server_port}{path}",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_api_tokens_never_reach_the_logs(app, make, caplog):
    token = make.token(make.user(kind="supplier"))
    server = serve(app)
    try:
        with caplog.at_level(logging.DEBUG):
            codes = [fetch(server, path, token) for path in ("/api/v1/needs", "/api/v1/notifications",
                                                             "/api/v1/needs/999999")]
            codes.append(fetch(server, "/api/v1/needs", token + "-wrong"))
    finally:
        server.shutdown()
        server.server_close()
    assert codes == [200, 200, 404, 401]
    request_log = [r for r in caplog.records if r.name == "werkzeug" and "/api/v1/" in r.getMessage()]
    assert len(request_log) == 4  # the server's request log was captured, so its absence below means something
    leaks = [r.getMessage() for r in caplog.records if token in r.getMessage() or token in str(r.args)]
    assert not leaks
