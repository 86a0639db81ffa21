"""Downloading your data and deleting your account: your data only, no secrets, and what the
organisation owns stays with it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from matchmaker.models import (
    ApiToken,
    ArenaParticipant,
    AuditEntry,
    Collaboration,
    CollaborationEvent,
    CollaborationTerms,
    Follow,
    MatchView,
    Meeting,
    NeedProfile,
    Notification,
    NotificationPreference,
    OutboxEmail,
    User,
)
from matchmaker.models.types import utcnow
from matchmaker.services.accounts import hash_token
from tests.factories import PASSWORD


@dataclass
class World:
    alice: User  # a clinician: the one who downloads and deletes
    bob: User  # a founder she works with
    need: NeedProfile
    collaboration: Collaboration
    meeting: Meeting
    alice_token: str


def _add(make, *objects):
    for obj in objects:
        make.db.add(obj)
    make.db.commit()


def _arena_meetings(make, alice: User, bob: User) -> Meeting:
    """Bob asks Alice for a meeting; two strangers meet in the same arena."""
    arena = make.arena()
    with_alice = make.meeting(arena, make.participant(arena, bob), make.participant(arena, alice),
                              note="Bob asks about night falls")
    with_alice.response_note = "Alice says yes gladly"
    make.db.commit()
    make.meeting(arena, make.participant(arena, kind="supplier"),
                 make.participant(arena, kind="clinical_department"), note="Private between strangers")
    return with_alice


def _collaboration(make, alice: User, bob: User, need: NeedProfile, meeting: Meeting) -> Collaboration:
    capability = make.capability(bob.organisation, created_by_id=bob.id)
    collaboration = Collaboration(
        need=need, capability=capability, supplier_id=bob.organisation_id, department_id=alice.organisation_id,
        proposed_by_id=bob.organisation_id, stage="proposed", meeting_id=meeting.id,
        terms=[CollaborationTerms(version=1, scope="A pilot", test_type="pilot", edited_by_id=alice.id)])
    collaboration.events = [
        CollaborationEvent(kind="comment", text="Alice comments on the pilot", user_id=alice.id,
                           organisation_id=alice.organisation_id),
        CollaborationEvent(kind="comment", text="Bob comments on the pilot", user_id=bob.id,
                           organisation_id=bob.organisation_id)]
    _add(make, collaboration)
    return collaboration


def _personal_rows(make, user: User, need: NeedProfile) -> None:
    _add(make,
         Notification(user_id=user.id, kind="meeting_requested", params={"who": user.name}),
         NotificationPreference(user_id=user.id, topic="deadlines", in_app=True, email=True),
         OutboxEmail(user_id=user.id, to_address=user.email, subject=f"Mail for {user.name}", body="b"),
         Follow(user_id=user.id, need_id=need.id),
         MatchView(user_id=user.id, viewer_organisation_id=user.organisation_id, profile_id=need.id,
                   profile_organisation_id=need.organisation_id, mode="matches", results=3))


@pytest.fixture
def world(make) -> World:
    alice = make.user(kind="clinical_department", name="Alice Clinician")
    bob = make.user(kind="supplier", name="Bob Founder")
    need = make.need(alice.organisation, created_by_id=alice.id, contact_name="Alice Clinician",
                     contact_email=alice.email, title="Night-time falls")
    meeting = _arena_meetings(make, alice, bob)
    collaboration = _collaboration(make, alice, bob, need, meeting)
    for user in (alice, bob):
        _personal_rows(make, user, need)
    return World(alice, bob, need, collaboration, meeting, make.token(alice))


def _count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


# --- download ----------------------------------------------------------------------------------

def test_download_is_a_dated_attachment_with_the_users_own_data(client, auth, world):
    auth.login(world.alice)
    response = client.get("/account/data")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert re.search(r'filename="matchmaker-my-data-\d{4}-\d{2}-\d{2}\.json"', disposition)
    assert utcnow().date().isoformat() in disposition
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == world.alice.email
    assert data["organisation"]["id"] == world.alice.organisation_id
    assert [p["title"] for p in data["profiles_created"]] == ["Night-time falls"]
    assert data["notification_preferences"] == {"deadlines": {"in_app": True, "email": True}}
    assert [e["subject"] for e in data["emails"]] == ["Mail for Alice Clinician"]
    assert [c["text"] for c in data["collaboration_activity"]] == ["Alice comments on the pilot"]
    assert data["collaboration_terms_written"][0]["collaboration_id"] == world.collaboration.id
    assert len(data["notifications"]) == len(data["follows"]) == len(data["match_views"]) == 1
    assert [r["status"] for r in data["arena_registrations"]] == ["approved"]


def test_download_keeps_only_the_notes_the_user_wrote(client, auth, world):
    auth.login(world.alice)
    data = json.loads(client.get("/account/data").get_data(as_text=True))
    [meeting] = data["meeting_requests"]
    assert meeting["role"] == "recipient"
    assert meeting["response_note"] == "Alice says yes gladly"
    assert "note" not in meeting
    assert meeting["with_organisations"] == [world.bob.organisation.name]


def test_download_holds_nothing_of_other_users_and_no_secrets(client, auth, world, db):
    auth.login(world.alice)
    body = client.get("/account/data").get_data(as_text=True)
    for foreign in ("Bob asks about night falls", "Private between strangers", "Bob comments on the pilot",
                    world.bob.email, "Mail for Bob Founder", "Bob Founder"):
        assert foreign not in body
    stored_hashes = db.scalars(select(ApiToken.token_hash).where(ApiToken.user_id == world.alice.id)).all()
    for secret in (world.alice.password_hash, world.alice_token, hash_token(world.alice_token), *stored_hashes):
        assert secret not in body
    assert "password" not in body and "token_hash" not in body
    tokens = json.loads(body)["api_tokens"]
    assert [t["prefix"] for t in tokens] == [world.alice_token[:10]]


def test_download_needs_sign_in(client):
    response = client.get("/account/data")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_api_export_returns_the_token_users_data(api, world):
    response = api.as_user(world.bob).get("/api/v1/account/export")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_json()
    assert data["account"]["email"] == world.bob.email
    assert [c["text"] for c in data["collaboration_activity"]] == ["Bob comments on the pilot"]
    assert data["meeting_requests"][0]["note"] == "Bob asks about night falls"
    assert "response_note" not in data["meeting_requests"][0]


def test_api_export_needs_a_token_and_is_documented(client):
    assert client.get("/api/v1/account/export").status_code == 401
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "get" in paths["/account/export"]


# --- deletion ----------------------------------------------------------------------------------

def _delete(client, password: str = PASSWORD):
    return client.post("/account/delete", data={"current_password": password})


def test_account_page_links_to_download_and_deletion(client, auth, make):
    auth.login(make.user(kind="supplier"))
    page = client.get("/account").get_data(as_text=True)
    assert 'href="/account/data"' in page and 'href="/account/delete"' in page
    assert 'name="current_password"' in client.get("/account/delete").get_data(as_text=True)


def test_wrong_password_deletes_nothing(client, auth, world, db):
    auth.login(world.alice)
    response = _delete(client, "not-my-password")
    assert response.status_code == 422
    assert "not your current password" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(User, world.alice.id) is not None
    assert _count(db, Notification, Notification.user_id == world.alice.id) == 1
    assert _count(db, AuditEntry, AuditEntry.action == "account.deleted") == 0
    assert client.get("/account").status_code == 200  # still signed in


def test_deletion_removes_personal_data_and_signs_out(client, auth, world, db):
    alice_id, meeting_id, email = world.alice.id, world.meeting.id, world.alice.email
    auth.login(world.alice)
    response = _delete(client)
    assert response.status_code == 302
    db.expire_all()
    assert db.get(User, alice_id) is None
    for model in (ApiToken, Notification, NotificationPreference, OutboxEmail, Follow, MatchView, ArenaParticipant):
        assert _count(db, model, model.user_id == alice_id) == 0, model.__name__
    # Their keys would only be set to NULL: the rows themselves must be gone.
    assert _count(db, OutboxEmail, OutboxEmail.to_address == email) == 0
    assert _count(db, MatchView, MatchView.user_id.is_(None)) == 0
    assert db.get(Meeting, meeting_id) is None  # a request she received goes with her registration
    assert client.get("/account").status_code == 302  # signed out


def test_deletion_keeps_the_organisations_records_without_the_author(client, auth, world, db):
    department = world.alice.organisation_id
    auth.login(world.alice)
    _delete(client)
    db.expire_all()
    need = db.get(NeedProfile, world.need.id)
    assert need.organisation_id == department and need.status == "published"
    assert need.created_by_id is None and need.contact_email is None and need.contact_name is None
    collaboration = db.get(Collaboration, world.collaboration.id)
    assert collaboration.meeting_id is None
    assert [(e.text, e.user_id) for e in collaboration.events] == [
        ("Alice comments on the pilot", None), ("Bob comments on the pilot", world.bob.id)]
    assert collaboration.events[0].organisation_id == department
    assert collaboration.terms[0].edited_by_id is None


def test_deletion_leaves_other_users_alone(client, auth, world, db):
    auth.login(world.alice)
    _delete(client)
    db.expire_all()
    bob = world.bob.id
    assert db.get(User, bob) is not None
    for model in (Notification, NotificationPreference, OutboxEmail, Follow, MatchView, ArenaParticipant):
        assert _count(db, model, model.user_id == bob) == 1, model.__name__
    assert _count(db, Meeting, Meeting.note == "Private between strangers") == 1


def test_deletion_is_audited_and_the_entry_outlives_the_account(client, auth, world, db):
    alice_id, email = world.alice.id, world.alice.email
    auth.login(world.alice)
    _delete(client)
    db.expire_all()
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "account.deleted"))
    assert (entry.target_type, entry.target_id, entry.actor_id) == ("users", alice_id, None)
    assert email in entry.actor_label
    assert entry.ip_address == "127.0.0.1"


def test_the_last_administrator_cannot_delete_their_account(client, auth, make, db):
    admin = make.user(is_admin=True)
    auth.login(admin)
    response = _delete(client)
    assert response.status_code == 409
    assert "only administrator" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(User, admin.id) is not None


def test_an_administrator_may_go_when_another_remains(client, auth, make, db):
    admin, other = make.user(is_admin=True), make.user(is_admin=True)
    admin_id = admin.id
    auth.login(admin)
    assert _delete(client).status_code == 302
    db.expire_all()
    assert db.get(User, admin_id) is None and db.get(User, other.id) is not None


@pytest.mark.csrf
def test_deletion_without_csrf_token_is_refused(client, make, db):
    user = make.user(kind="supplier")
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert _delete(client).status_code == 400
    db.expire_all()
    assert db.get(User, user.id) is not None


def test_download_works_for_an_account_without_organisation(client, auth, make):
    admin = make.user(is_admin=True)
    auth.login(admin)
    data = json.loads(client.get("/account/data").get_data(as_text=True))
    assert data["organisation"] is None and data["account"]["is_admin"] is True
    assert data["meeting_requests"] == [] and data["profiles_created"] == []
