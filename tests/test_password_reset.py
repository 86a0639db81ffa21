"""Password reset: a link by e-mail that reveals no accounts, expires, works once and never
shows up in the logs."""

from __future__ import annotations

import logging
import re
import time

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select
from werkzeug.security import check_password_hash

from matchmaker.models import User
from matchmaker.models.activity import OutboxEmail
from matchmaker.services import accounts
from tests.factories import PASSWORD

NEW_PASSWORD = "a-brand-new-passphrase"


def reset_emails(db, user: User | None = None) -> list[OutboxEmail]:
    query = select(OutboxEmail).where(OutboxEmail.kind == "password_reset").order_by(OutboxEmail.id)
    if user is not None:
        query = query.where(OutboxEmail.user_id == user.id)
    db.expire_all()
    return list(db.scalars(query))


def link_in(email: OutboxEmail) -> str:
    return re.search(r"\S*/reset-password/\S+", email.body).group(0)


def ask_for_link(client, db, user: User) -> str:
    assert client.post("/forgot-password", data={"email": user.email}).status_code == 302
    return link_in(reset_emails(db, user)[-1])


def choose_password(client, link: str, password: str = NEW_PASSWORD):
    opened = client.get(link)
    assert opened.status_code == 302, opened.get_data(as_text=True)
    return client.post(opened.headers["Location"], data={"password": password})


def stored_hash(db, user: User) -> str:
    db.expire_all()
    return db.get(User, user.id).password_hash


def test_login_page_links_to_the_forgotten_password_form(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/forgot-password"' in page
    assert client.get("/forgot-password").status_code == 200


def test_the_answer_is_the_same_with_or_without_an_account(client, make, db):
    user = make.user(locale="nb")
    known = client.post("/forgot-password", data={"email": user.email.upper()}, follow_redirects=True)
    unknown = client.post("/forgot-password", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert known.request.path == unknown.request.path == "/login"
    message = "If an account exists for this address, we have sent it a link"
    assert message in known.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    emails = reset_emails(db)
    assert [(e.user_id, e.to_address) for e in emails] == [(user.id, user.email)]
    assert emails[0].body.startswith("Hei ")  # worded in the recipient's language


def test_link_is_a_path_without_base_url_and_absolute_with_it(app, client, make, db):
    user = make.user()
    assert ask_for_link(client, db, user).startswith("/reset-password/")
    app.config["BASE_URL"] = "https://matchmaker.example.org/"
    assert ask_for_link(client, db, user).startswith("https://matchmaker.example.org/reset-password/")


def test_a_link_sets_a_new_password_signs_in_and_works_once(client, make, db):
    user = make.user()
    link = ask_for_link(client, db, user)
    opened = client.get(link)
    assert opened.headers["Location"] == "/reset-password"  # the form's address has no token
    form = client.get("/reset-password")
    assert user.email in form.get_data(as_text=True)
    assert client.post("/reset-password", data={"password": NEW_PASSWORD}).headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    password_hash = stored_hash(db, user)
    assert password_hash.startswith("scrypt:")
    assert check_password_hash(password_hash, NEW_PASSWORD) and not check_password_hash(password_hash, PASSWORD)
    client.post("/logout")
    used_again = client.get(link)
    assert used_again.status_code == 404
    assert "Ask for a new one" in used_again.get_data(as_text=True)
    assert client.post("/reset-password", data={"password": "yet-another-password"}).status_code == 404
    assert check_password_hash(stored_hash(db, user), NEW_PASSWORD)


def test_the_new_password_follows_the_registration_rules(client, make, db):
    user = make.user()
    refused = choose_password(client, ask_for_link(client, db, user), password="short")
    assert refused.status_code == 422
    assert "field-error" in refused.get_data(as_text=True)
    assert check_password_hash(stored_hash(db, user), PASSWORD)
    # The link still works after a refused password.
    assert client.post("/reset-password", data={"password": NEW_PASSWORD}).status_code == 302


def aged_link(client, db, user, monkeypatch, seconds: int) -> str:
    """A link as if it had been sent `seconds` ago."""
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - seconds)
        return ask_for_link(client, db, user)


def test_a_link_expires_after_an_hour(client, make, db, monkeypatch):
    user = make.user()
    assert client.get(aged_link(client, db, user, monkeypatch, 3500)).status_code == 302
    client.get("/forgot-password")  # drops the token the opened link put in the session
    assert client.get(aged_link(client, db, user, monkeypatch, 3700)).status_code == 404


def test_max_age_comes_from_config(app, client, make, db, monkeypatch):
    app.config["PASSWORD_RESET_MAX_AGE"] = 60
    assert client.get(aged_link(client, db, make.user(), monkeypatch, 120)).status_code == 404


def test_changing_the_password_otherwise_voids_earlier_links(app, client, make, db):
    user = make.user()
    link = ask_for_link(client, db, user)
    accounts.change_password(db, db.get(User, user.id), PASSWORD, NEW_PASSWORD)
    db.commit()
    assert client.get(link).status_code == 404


def test_a_tampered_or_foreign_token_is_refused(client, make, db):
    user, other = make.user(), make.user()
    link = ask_for_link(client, db, user)
    token = link.rsplit("/", 1)[1]
    assert client.get(link[:-2] + ("AA" if not link.endswith("AA") else "BB")).status_code == 404
    assert client.get(f"/reset-password/{token.replace('.', '.x', 1)}").status_code == 404
    assert client.get("/reset-password").status_code == 404  # nothing in the session
    assert check_password_hash(stored_hash(db, other), PASSWORD)


@pytest.mark.csrf
def test_the_forms_need_a_csrf_token(client, make, db):
    user = make.user()
    assert client.post("/forgot-password", data={"email": user.email}).status_code == 400
    page = client.get("/forgot-password").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/forgot-password", data={"email": user.email, "csrf_token": token}).status_code == 302
    client.get(link_in(reset_emails(db, user)[-1]))
    assert client.post("/reset-password", data={"password": NEW_PASSWORD}).status_code == 400
    assert check_password_hash(stored_hash(db, user), PASSWORD)


def test_no_log_line_holds_the_token(client, make, db, caplog):
    user = make.user()
    with caplog.at_level(logging.DEBUG):
        link = ask_for_link(client, db, user)
        choose_password(client, link)
        client.get(link)
    token = link.rsplit("/", 1)[1]
    assert len(token) > 40
    assert caplog.records, "the flow logs something, so the check below is not vacuous"
    assert not [r for r in caplog.records if token in r.getMessage() or token in str(r.args)]
    assert token not in reset_emails(db, user)[-1].reference


def test_a_reset_signs_out_every_other_session(app, client, make, db):
    user = make.user()
    elsewhere = app.test_client()  # the same person, signed in on another computer
    elsewhere.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    assert elsewhere.get("/dashboard").status_code == 200
    choose_password(client, ask_for_link(client, db, user))
    assert client.get("/dashboard").status_code == 200  # the session that reset stays signed in
    assert elsewhere.get("/dashboard").headers["Location"].startswith("/login")


def test_changing_the_password_keeps_this_session_and_ends_the_others(app, client, auth, make):
    user = make.user()
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"email": user.email, "password": PASSWORD})
    auth.login(user)
    client.post("/account/password", data={"pw-current_password": PASSWORD, "pw-new_password": NEW_PASSWORD})
    assert client.get("/dashboard").status_code == 200
    assert elsewhere.get("/dashboard").headers["Location"].startswith("/login")
