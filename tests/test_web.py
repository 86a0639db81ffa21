"""Accounts, profile pages, validation, escaping and CSRF through the HTML side."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from matchmaker.models import NeedProfile, Organisation, User

NEED_FORM = {"title": "Night-time falls on the geriatric ward",
             "description": "Patients fall at night when they get up alone; staff notice too late.",
             "language": "en", "clinical_areas": ["geriatrics"], "care_settings": ["inpatient"],
             "trl_min": "5", "trl_max": "8", "action": "publish"}


def errors_in(response) -> list[str]:
    return re.findall(r'class="field-error"[^>]*>([^<]*)<', response.get_data(as_text=True))


def test_register_creates_unapproved_organisation_and_signs_in(client, db):
    response = client.post("/register", data={
        "name": "Kari Nordmann", "email": "Kari@Example.org", "password": "a-long-password",
        "organisation_name": "Slagenheten, Demo HF", "organisation_kind": "clinical_department",
        "country": "NO"})
    assert response.status_code == 302
    user = db.scalar(select(User).where(User.email == "kari@example.org"))
    assert user.organisation.name == "Slagenheten, Demo HF"
    assert not user.organisation.is_approved
    assert user.password_hash != "a-long-password"
    assert "awaits approval" in client.get("/dashboard").get_data(as_text=True)


def test_register_refuses_short_password_and_taken_email(client, make, db):
    make.user(email="taken@example.org")
    response = client.post("/register", data={
        "name": "X", "email": "taken@example.org", "password": "longenough1", "organisation_name": "Org",
        "organisation_kind": "supplier", "country": "NO"})
    assert response.status_code == 422
    assert "exists already" in response.get_data(as_text=True)
    assert db.scalar(select(Organisation).where(Organisation.name == "Org")) is None  # rolled back
    short = client.post("/register", data={"name": "X", "email": "new@example.org", "password": "short",
                                           "organisation_name": "Org", "organisation_kind": "supplier"})
    assert short.status_code == 422


def test_wrong_password_is_refused(client, make):
    user = make.user()
    response = client.post("/login", data={"email": user.email, "password": "wrong-password"})
    assert response.status_code == 422
    assert "Wrong e-mail address or password" in response.get_data(as_text=True)


def test_login_does_not_redirect_off_site(client, make):
    user = make.user()
    response = client.post("/login?next=https://evil.example.com/",
                           data={"email": user.email, "password": "correct-horse-battery"})
    assert response.headers["Location"] == "/dashboard"


def test_logout_is_post_only(client, auth, make):
    auth.login(make.user())
    assert client.get("/logout").status_code == 405
    assert client.get("/dashboard").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_clinician_creates_edits_and_archives_a_need(client, auth, make, db):
    auth.login(make.user(kind="clinical_department"))
    created = client.post("/needs/new", data=NEED_FORM)
    assert created.status_code == 302
    url = created.headers["Location"]
    assert "Night-time falls" in client.get(url).get_data(as_text=True)
    assert "Night-time falls" in client.get("/needs?clinical_area=geriatrics").get_data(as_text=True)
    edited = client.post(f"{url}/edit", data={**NEED_FORM, "title": "Falls at night"})
    assert edited.status_code == 302
    client.post(f"{url}/archive")
    need = db.scalar(select(NeedProfile))
    db.refresh(need)
    assert (need.title, need.status) == ("Falls at night", "archived")
    assert "Falls at night" not in client.get("/needs").get_data(as_text=True)


def test_draft_then_publish(client, auth, make, db):
    auth.login(make.user(kind="clinical_department"))
    url = client.post("/needs/new", data={**NEED_FORM, "action": "draft"}).headers["Location"]
    assert db.scalar(select(NeedProfile.status)) == "draft"
    client.post(f"{url}/publish")
    db.expire_all()
    assert db.scalar(select(NeedProfile.status)) == "published"


def test_validation_errors_are_shown_and_input_kept(client, auth, make, db):
    auth.login(make.user(kind="clinical_department"))
    response = client.post("/needs/new", data={**NEED_FORM, "trl_min": "8", "trl_max": "3"})
    assert response.status_code == 422
    assert errors_in(response) == ["The highest TRL must not be below the lowest TRL."]
    assert 'value="Night-time falls on the geriatric ward"' in response.get_data(as_text=True)
    assert db.scalar(select(NeedProfile)) is None


def test_browse_filters_by_text_area_setting_country_and_trl(client, auth, make):
    swedish = make.organisation("clinical_department", country="SE")
    make.need(swedish, title="Fallprevention nattetid", clinical_areas=["geriatrics"], care_settings=["inpatient"],
              trl_min=4, trl_max=6, language="sv")
    make.need(title="Sepsis i akuttmottaket", clinical_areas=["emergency_medicine"], trl_min=7, trl_max=9,
              language="nb")
    auth.login(make.user(kind="supplier"))

    def shown(query: str) -> set[str]:
        page = client.get(f"/needs?{query}").get_data(as_text=True)
        return {t for t in ("Fallprevention nattetid", "Sepsis i akuttmottaket") if t in page}

    assert shown("") == {"Fallprevention nattetid", "Sepsis i akuttmottaket"}
    assert shown("q=NATTETID") == {"Fallprevention nattetid"}
    assert shown("clinical_area=emergency_medicine") == {"Sepsis i akuttmottaket"}
    assert shown("care_setting=inpatient") == {"Fallprevention nattetid"}
    assert shown("country=SE") == {"Fallprevention nattetid"}
    assert shown("language=nb") == {"Sepsis i akuttmottaket"}
    assert shown("trl_min=7&trl_max=9") == {"Sepsis i akuttmottaket"}
    assert shown(f"organisation={swedish.id}") == {"Fallprevention nattetid"}


def test_search_folds_nordic_letters(client, auth, make):
    make.need(title="Øyeblikkelig hjelp for ØYEpasienter")
    auth.login(make.user(kind="supplier"))
    assert "Øyeblikkelig" in client.get("/needs?q=øyepasienter").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/needs/{id}", "/needs", "/dashboard", "/organisations/{org}"])
def test_profile_text_is_escaped(client, auth, make, url):
    owner = make.user(kind="clinical_department")
    need = make.need(owner.organisation, title="<script>alert(1)</script>",
                     description='<img src=x onerror="alert(2)"> and more text to be long enough')
    auth.login(owner)
    page = client.get(url.format(id=need.id, org=owner.organisation_id)).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page


@pytest.mark.csrf
def test_form_post_without_csrf_token_is_refused(client, make, db):
    user = make.user(kind="clinical_department")
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    assert client.post("/login", data={"email": user.email, "password": "correct-horse-battery",
                                       "csrf_token": token}).status_code == 302
    response = client.post("/needs/new", data=NEED_FORM)
    assert response.status_code == 400
    assert db.scalar(select(NeedProfile)) is None
    assert client.post("/logout").status_code == 400


@pytest.mark.csrf
def test_api_needs_no_csrf_token(api, make):
    response = api.as_user(make.user(kind="supplier")).get("/api/v1/capabilities")
    assert response.status_code == 200


def test_security_headers(client):
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_account_page_creates_and_lists_tokens(client, auth, make):
    auth.login(make.user())
    page = client.post("/account/tokens", data={"token-token_name": "nightly export"})
    assert page.status_code == 201
    assert re.search(r'id="new-token">mm_[\w-]{20,}<', page.get_data(as_text=True))
    assert "nightly export" in client.get("/account").get_data(as_text=True)


def test_cli_creates_token(app, make):
    from matchmaker.cli import create_token

    user = make.user()
    result = app.test_cli_runner().invoke(create_token, [user.email])
    assert result.exit_code == 0
    token = result.stdout.strip()  # only the token; log lines go to standard error
    response = app.test_client().get("/api/v1/needs", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    unknown = app.test_cli_runner().invoke(create_token, ["nobody@example.org"])
    assert unknown.exit_code == 1
    assert "No account" in unknown.output


@pytest.mark.parametrize("role_kind,expected", [
    ("supplier", "Your capability profiles"), ("clinical_department", "Your needs"),
    ("funding_agency", "Newest needs"), ("arena_organiser", "Newest capability profiles")])
def test_each_role_lands_on_its_dashboard(client, auth, make, role_kind, expected):
    make.need(title="A published need")
    make.capability(title="A published capability")
    auth.login(make.user(kind=role_kind))
    response = client.get("/login")
    assert response.headers["Location"] == "/dashboard"
    assert expected in client.get("/dashboard").get_data(as_text=True)


def test_admin_dashboard_lists_pending_organisations(client, auth, make):
    make.organisation("supplier", approved=False, name="Waiting Medtech AS")
    auth.login(make.user(is_admin=True))
    assert "Waiting Medtech AS" in client.get("/dashboard").get_data(as_text=True)


def test_member_edits_own_organisation_but_not_others(client, auth, make, db):
    user = make.user(kind="supplier")
    other = make.organisation("supplier", name="Someone Else AS")
    auth.login(user)
    response = client.post(f"/organisations/{user.organisation_id}/edit", data={
        "name": "Kvitfjell Medical AS", "country": "NO", "website": "https://kvitfjell.example.com",
        "org_number": "912 345 678", "size": "1-10", "founded": "2021", "description": "Sensors for wards."})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Organisation, user.organisation_id).founded == 2021
    assert client.get(f"/organisations/{other.id}/edit").status_code == 403
    refused = client.post(f"/organisations/{other.id}/edit", data={"name": "Hijacked", "country": "NO"})
    assert refused.status_code == 403
    db.expire_all()
    assert db.get(Organisation, other.id).name == "Someone Else AS"


def test_organisation_website_must_be_a_web_address(client, auth, make):
    user = make.user(kind="supplier")
    auth.login(user)
    response = client.post(f"/organisations/{user.organisation_id}/edit", data={
        "name": "Kvitfjell", "country": "NO", "website": "javascript:alert(1)"})
    assert response.status_code == 422
    assert "https://" in response.get_data(as_text=True)


def test_account_preferences_refuse_an_unknown_time_zone_and_keep_the_old_ones(client, auth, make, db):
    user = make.user(kind="supplier", locale="en", timezone="Europe/Oslo")
    auth.login(user)
    refused = client.post("/account/preferences", data={"prefs-locale": "sv", "prefs-timezone": "Mars/Olympus"})
    assert refused.status_code == 422
    assert "Choose a time zone from the list." in refused.get_data(as_text=True)
    db.refresh(user)
    assert (user.locale, user.timezone) == ("en", "Europe/Oslo")
    saved = client.post("/account/preferences", data={"prefs-locale": "sv", "prefs-timezone": "Europe/Stockholm"})
    assert saved.status_code == 302
    db.refresh(user)
    assert (user.locale, user.timezone) == ("sv", "Europe/Stockholm")
