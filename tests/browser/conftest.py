"""A live server on its own database, and a headless Debian Chromium driven by Playwright.

Unlike the other tests, the live server commits for real, so every test here gets a freshly
migrated database of its own instead of the shared, rolled-back ``database_url`` one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from matchmaker import create_app
from matchmaker.database import get_database
from matchmaker.models import User
from tests.databases import BACKENDS, migrated_database
from tests.factories import PASSWORD, Factory

CHROMIUM = Path("/usr/bin/chromium")
# Quiet, offline, container-friendly Chromium: no sandbox (often unavailable), no GPU, and
# none of the background traffic to Google that would slow start-up or fail without network.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
# pytest's tmp_path is hidden away and pruned; screenshots are meant for people to look at.
OUTPUT_ROOT = Path(__file__).resolve().parents[2] / "test-output"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the run; each test gets its own context, so no state leaks between them."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: the browser tests drive Debian's chromium package. "
                    "`make test` installs it (through `make browser`).", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(params=BACKENDS)
def live_app(request, tmp_path) -> Iterator[Flask]:
    """The app on a new database; CSRF stays on because the browser posts real forms."""
    with migrated_database(request.param, tmp_path) as url:
        app = create_app({"SECRET_KEY": "browser-test-secret", "DATABASE_URL": url, "TESTING": True,
                          "MATCHING_SNAPSHOT_DIR": None})
        yield app
        # Release pooled connections before the PostgreSQL schema is dropped.
        get_database(app).engine.dispose()


@pytest.fixture
def seed(live_app) -> Iterator[Factory]:
    """Factories committing through the app's own engine, so the server sees what they write."""
    session = get_database(live_app).session_factory()
    yield Factory(session)
    session.close()


@pytest.fixture
def live_server(live_app) -> Iterator[str]:
    """Serves the app on a free local port in a background thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def page(browser, live_server) -> Iterator[Page]:
    """A fresh page whose relative URLs go to the live server; en-GB gives English labels."""
    context = browser.new_context(base_url=live_server, locale="en-GB")
    context.set_default_timeout(10_000)  # a local server answers in milliseconds; fail fast
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def clinician(seed) -> User:
    """A user of an approved clinical department, who may publish needs."""
    return seed.user(kind="clinical_department")


@pytest.fixture
def sign_in(page) -> Callable[[User], None]:
    """Signs a user in through the login form, as a person would."""

    def sign_in_as(user: User) -> None:
        page.goto("/login")
        page.get_by_label("E-mail").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name=f"Hello, {user.name}")).to_be_visible()

    return sign_in_as


@pytest.fixture
def screenshot(request) -> Callable[[Page, str], Path]:
    """Saves full-page screenshots to test-output/<test name>/<name>.png for people to inspect."""
    folder = OUTPUT_ROOT / request.node.name

    def save(page: Page, name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return save
