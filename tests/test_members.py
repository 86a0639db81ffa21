"""Organisations with several members: invitations, requests to join, roles, and the rule that
an organisation always keeps an administrator; through the pages and the API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from matchmaker.models import AuditEntry, JoinRequest, Notification, OrganisationInvitation, Profile, User
from matchmaker.models.activity import OutboxEmail
from matchmaker.models.types import utcnow
from matchmaker.services import invitations
from tests.factories import PASSWORD

LINK = re.compile(r"https?://\S*/invitations/(\S+)|/invitations/(\S+)")


@pytest.fixture
def department(make):
    organisation = make.organisation("clinical_department")
    admin = make.user(organisation, organisation_role="admin", name="Ada Admin")
    return organisation, admin


def _invite(client, auth, admin, organisation, email="colleague@example.org"):
    auth.login(admin)
    response = client.post(f"/organisations/{organisation.id}/invitations", data={"email": email})
    assert response.status_code == 302, response.get_data(as_text=True)[-500:]
    auth.logout()


def _token_from_outbox(db, email="colleague@example.org") -> str:
    sent = db.scalars(select(OutboxEmail).where(OutboxEmail.to_address == email)).all()
    assert len(sent) == 1
    match = LINK.search(sent[-1].body)
    return match.group(1) or match.group(2)


def _register(client, email="colleague@example.org", **more):
    return client.post("/register", data={"name": "Cleo Colleague", "email": email, "password": PASSWORD, **more})


def test_an_invited_colleague_registers_joins_and_edits_the_need(client, auth, db, make, department):
    organisation, admin = department
    need = make.need(organisation, title="Night-time falls")
    _invite(client, auth, admin, organisation)
    token = _token_from_outbox(db)
    assert client.get(f"/invitations/{token}").headers["Location"].endswith("/register")
    assert b"You are invited to join" in client.get("/register").data
    response = _register(client)
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    colleague = db.scalar(select(User).where(User.email == "colleague@example.org"))
    assert (colleague.organisation_id, colleague.organisation_role) == (organisation.id, "member")
    response = client.post(f"/needs/{need.id}/edit", data={
        "title": "Falls at night on the ward", "description": "A description long enough to be valid.",
        "language": "en", "action": "publish"})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Profile, need.id).title == "Falls at night on the ward"
    assert db.scalar(select(Notification).where(Notification.user_id == admin.id,
                                                Notification.kind == "member_joined"))


def test_an_invitation_works_once(client, auth, db, department):
    organisation, admin = department
    _invite(client, auth, admin, organisation)
    token = _token_from_outbox(db)
    client.get(f"/invitations/{token}")
    assert _register(client).status_code == 302
    auth.logout()
    assert client.get(f"/invitations/{token}").status_code == 404


def test_an_invitation_expires_after_seven_days(client, auth, db, department, monkeypatch):
    organisation, admin = department
    _invite(client, auth, admin, organisation)
    token = _token_from_outbox(db)
    invitation = db.scalar(select(OrganisationInvitation))
    assert timedelta(days=6, hours=23) < invitation.expires_at - invitation.created_at <= timedelta(days=7)
    monkeypatch.setattr(invitations, "utcnow", lambda: utcnow() + timedelta(days=6, hours=23))
    assert client.get(f"/invitations/{token}").status_code == 302
    monkeypatch.setattr(invitations, "utcnow", lambda: utcnow() + timedelta(days=7, minutes=1))
    assert client.get(f"/invitations/{token}").status_code == 404


def test_tampered_and_other_organisations_tokens_are_refused(app, client, auth, db, make, department):
    organisation, admin = department
    other = make.organisation("clinical_department")
    _invite(client, auth, admin, organisation)
    token = _token_from_outbox(db)
    invitation = db.scalar(select(OrganisationInvitation))
    forged = URLSafeSerializer(app.config["SECRET_KEY"], salt=invitations.SALT).dumps(
        {"invitation": invitation.id, "organisation": other.id})
    for bad in (token[:-2] + ("aa" if not token.endswith("aa") else "bb"), forged,
                URLSafeSerializer("another key", salt=invitations.SALT).dumps({"invitation": invitation.id,
                                                                                "organisation": organisation.id})):
        assert client.get(f"/invitations/{bad}").status_code == 404
    stranger = make.user(kind="supplier", email="stranger@example.org")
    response = api_as(app, make, stranger).post("/api/v1/invitations/accept", json={"token": forged})
    assert response.status_code == 404


def test_an_invitation_is_for_the_address_it_was_sent_to(client, auth, db, department):
    organisation, admin = department
    _invite(client, auth, admin, organisation)
    client.get(f"/invitations/{_token_from_outbox(db)}")
    response = _register(client, email="someone.else@example.org")
    assert response.status_code == 422
    assert b"sent to another e-mail address" in response.data
    assert db.scalar(select(User).where(User.email == "someone.else@example.org")) is None


def test_a_revoked_invitation_no_longer_works(client, auth, db, department):
    organisation, admin = department
    _invite(client, auth, admin, organisation)
    token = _token_from_outbox(db)
    invitation = db.scalar(select(OrganisationInvitation))
    auth.login(admin)
    assert client.post(f"/organisations/{organisation.id}/invitations/{invitation.id}/revoke").status_code == 302
    auth.logout()
    assert client.get(f"/invitations/{token}").status_code == 404


def test_inviting_needs_a_valid_address(client, auth, db, department):
    organisation, admin = department
    auth.login(admin)
    response = client.post(f"/organisations/{organisation.id}/invitations", data={"email": "not an address"})
    assert response.status_code == 422
    assert b"field-error" in response.data
    assert db.scalar(select(OrganisationInvitation)) is None


def test_registering_asks_to_join_and_an_admin_approves(client, auth, db, make, department):
    organisation, admin = department
    page = client.get("/register?q=" + organisation.name.split()[-1])
    assert organisation.name.encode() in page.data
    response = _register(client, membership="join", join_organisation_id=str(organisation.id),
                         join_message="I work on ward 3.", q=organisation.name)
    assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    asker = db.scalar(select(User).where(User.email == "colleague@example.org"))
    assert asker.organisation_id is None
    assert client.get("/dashboard").status_code == 200
    request = db.scalar(select(JoinRequest))
    assert db.scalar(select(Notification).where(Notification.user_id == admin.id,
                                                Notification.kind == "join_requested"))
    auth.login(admin)
    assert b"I work on ward 3." in client.get(f"/organisations/{organisation.id}/members").data
    assert b"asks to join" in client.get(f"/organisations/{organisation.id}").data
    response = client.post(f"/organisations/{organisation.id}/join-requests/{request.id}", data={"action": "approve"})
    assert response.status_code == 302
    db.expire_all()
    assert (asker.organisation_id, asker.organisation_role) == (organisation.id, "member")
    assert db.scalar(select(Notification).where(Notification.user_id == asker.id, Notification.kind == "join_approved"))
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "join.approved"))


def test_registering_to_join_without_choosing_is_a_field_error(client, db):
    response = _register(client, membership="join")
    assert response.status_code == 422
    assert b"Find your organisation and choose it" in response.data
    assert db.scalar(select(User).where(User.email == "colleague@example.org")) is None


def test_a_declined_request_changes_no_membership(client, auth, db, make, department):
    organisation, admin = department
    asker = make.user()
    auth.login(asker)
    assert client.post(f"/organisations/{organisation.id}/join", data={"message": ""}).status_code == 302
    request = db.scalar(select(JoinRequest))
    auth.login(admin)
    client.post(f"/organisations/{organisation.id}/join-requests/{request.id}", data={"action": "decline"})
    db.expire_all()
    assert asker.organisation_id is None and request.status == "declined"
    assert db.scalar(select(Notification).where(Notification.user_id == asker.id, Notification.kind == "join_declined"))


def test_only_that_organisations_admins_answer_requests(client, auth, db, make, department):
    organisation, admin = department
    member = make.user(organisation)
    other = make.organisation("clinical_department")
    other_admin = make.user(other, organisation_role="admin")
    asker = make.user()
    auth.login(asker)
    client.post(f"/organisations/{organisation.id}/join", data={"message": ""})
    request = db.scalar(select(JoinRequest))
    for user, status in ((member, 403), (other_admin, 403), (asker, 403)):
        auth.login(user)
        response = client.post(f"/organisations/{organisation.id}/join-requests/{request.id}",
                               data={"action": "approve"})
        assert response.status_code == status
    auth.login(other_admin)  # their own organisation's path, another's request
    assert client.post(f"/organisations/{other.id}/join-requests/{request.id}",
                       data={"action": "approve"}).status_code == 404
    db.expire_all()
    assert request.status == "pending" and asker.organisation_id is None


def test_the_last_administrator_stays(client, auth, db, make, department):
    organisation, admin = department
    member = make.user(organisation)
    auth.login(admin)
    base = f"/organisations/{organisation.id}"
    assert client.post(f"{base}/members/{admin.id}/role", data={"role": "member"}).status_code == 409
    assert client.post(f"{base}/members/{admin.id}/remove").status_code == 409
    assert client.post(f"{base}/leave").status_code == 409
    assert client.post(f"{base}/members/{member.id}/role", data={"role": "admin"}).status_code == 302
    assert client.post(f"{base}/leave").status_code == 302
    db.expire_all()
    assert admin.organisation_id is None and member.organisation_role == "admin"
    assert {e.action for e in db.scalars(select(AuditEntry))} >= {"member.promoted", "member.left"}


def test_members_page_is_for_members_and_management_for_admins(client, auth, make, department):
    organisation, admin = department
    member = make.user(organisation, name="Mo Member")
    auth.login(member)
    page = client.get(f"/organisations/{organisation.id}/members")
    assert page.status_code == 200 and b"Mo Member" in page.data and b"Send invitation" not in page.data
    invite = client.post(f"/organisations/{organisation.id}/invitations", data={"email": "x@example.org"})
    assert invite.status_code == 403
    assert client.post(f"/organisations/{organisation.id}/members/{admin.id}/remove").status_code == 403
    auth.login(make.user(kind="supplier"))
    assert client.get(f"/organisations/{organisation.id}/members").status_code == 403


def test_dashboard_shows_admins_waiting_requests(client, auth, make, department):
    organisation, admin = department
    asker = make.user()
    auth.login(asker)
    client.post(f"/organisations/{organisation.id}/join", data={"message": ""})
    auth.login(admin)
    assert b"asks to join" in client.get("/dashboard").data


# --- the API ----------------------------------------------------------------------------------

def api_as(app, make, user):
    from tests.factories import ApiClient
    return ApiClient(app.test_client(), make).as_user(user)


def test_api_members_invitations_and_requests(api, db, make, department):
    organisation, admin = department
    member = make.user(organisation, email="member@example.org")
    base = f"/api/v1/organisations/{organisation.id}"
    as_admin = api.as_user(admin)
    listed = as_admin.get(f"{base}/members").json["items"]
    assert {(m["email"], m["role"]) for m in listed} >= {(admin.email, "admin"), ("member@example.org", "member")}
    assert as_admin.post(f"{base}/members/{member.id}/promote").json["role"] == "admin"
    assert as_admin.post(f"{base}/members/{member.id}/demote").json["role"] == "member"
    created = as_admin.post(f"{base}/invitations", json={"email": "new@example.org"})
    assert created.status_code == 201
    assert [i["email"] for i in as_admin.get(f"{base}/invitations").json["items"]] == ["new@example.org"]
    assert as_admin.delete(f"{base}/invitations/{created.json['id']}").json["revoked_at"]
    assert as_admin.get(f"{base}/invitations").json["items"] == []
    asker = make.user()
    asked = api.as_user(asker).post(f"{base}/join-requests", json={"message": "Hello"})
    assert asked.status_code == 201
    assert api.as_user(asker).post(f"{base}/join-requests", json={}).status_code == 409
    assert [r["name"] for r in as_admin.get(f"{base}/join-requests").json["items"]] == [asker.name]
    assert as_admin.post(f"{base}/join-requests/{asked.json['id']}/approve").json["status"] == "approved"
    assert as_admin.delete(f"{base}/members/{member.id}").status_code == 204
    db.expire_all()
    assert asker.organisation_id == organisation.id and member.organisation_id is None


def test_api_accept_invitation(api, db, make, department, client, auth):
    organisation, admin = department
    invitee = make.user(email="colleague@example.org")
    _invite(client, auth, admin, organisation)
    token = _token_from_outbox(db)
    response = api.as_user(invitee).post("/api/v1/invitations/accept", json={"token": token})
    assert response.status_code == 200 and response.json["id"] == organisation.id
    assert api.as_user(invitee).post("/api/v1/invitations/accept", json={"token": token}).status_code == 404


@pytest.mark.parametrize("role", ["member", "other_admin", "stranger"])
def test_api_refuses_managing_another_organisations_members(api, db, make, department, role):
    from tests.test_route_access import changed_tables, snapshot
    organisation, admin = department
    member = make.user(organisation)
    other = make.organisation("clinical_department")
    users = {"member": member, "other_admin": make.user(other, organisation_role="admin"), "stranger": make.user()}
    invitation = make._save(OrganisationInvitation(organisation_id=organisation.id, email="x@example.org",
                                                   invited_by_id=admin.id, expires_at=utcnow() + timedelta(days=7)))
    request = make._save(JoinRequest(organisation_id=organisation.id, user_id=make.user().id, status="pending"))
    client = api.as_user(users[role])
    base = f"/api/v1/organisations/{organisation.id}"
    calls = [("post", f"{base}/members/{member.id}/promote", None), ("post", f"{base}/members/{admin.id}/demote", None),
             ("delete", f"{base}/members/{member.id}", None), ("get", f"{base}/invitations", None),
             ("post", f"{base}/invitations", {"email": "y@example.org"}),
             ("delete", f"{base}/invitations/{invitation.id}", None), ("get", f"{base}/join-requests", None),
             ("post", f"{base}/join-requests/{request.id}/approve", None),
             ("post", f"{base}/join-requests/{request.id}/decline", None)]
    if role != "member":
        calls.append(("get", f"{base}/members", None))
    for method, path, body in calls:
        before = snapshot(db)
        response = getattr(client, method)(path, **({"json": body} if body else {}))
        assert response.status_code == 403, (path, response.status_code)
        assert response.json["error"]["message"]
        assert not changed_tables(before, snapshot(db)), path
    other_base = f"/api/v1/organisations/{other.id}"
    if role == "other_admin":  # its own organisation's path, another organisation's objects: not found
        for path in (f"{other_base}/members/{member.id}/promote", f"{other_base}/join-requests/{request.id}/approve"):
            assert client.post(path).status_code == 404
        assert client.delete(f"{other_base}/invitations/{invitation.id}").status_code == 404


def test_api_hidden_organisation_is_not_found(api, make):
    pending = make.organisation("supplier", approved=False)
    make.user(pending, organisation_role="admin")
    client = api.as_user(make.user(kind="supplier"))
    assert client.get(f"/api/v1/organisations/{pending.id}/members").status_code == 404
    assert client.post(f"/api/v1/organisations/{pending.id}/join-requests", json={}).status_code == 404


# --- the account: its data and its deletion ---------------------------------------------------

def test_the_last_administrator_with_colleagues_cannot_delete_the_account(client, auth, db, make, department):
    organisation, admin = department
    make.user(organisation)
    auth.login(admin)
    assert client.post("/account/delete", data={"current_password": PASSWORD}).status_code == 409
    db.expire_all()
    assert db.get(User, admin.id) is not None


def test_someone_alone_in_the_organisation_may_delete_the_account(client, auth, db, department):
    _organisation, admin = department
    auth.login(admin)
    assert client.post("/account/delete", data={"current_password": PASSWORD}).status_code == 302


def test_the_data_download_holds_role_and_requests(client, auth, make, department):
    organisation, _admin = department
    asker = make.user(kind="supplier")
    auth.login(asker)
    client.post(f"/organisations/{organisation.id}/join", data={"message": "Moving departments"})
    data = client.get("/account/data").json
    assert data["organisation"]["role"] == "member"
    assert [(r["organisation"], r["message"], r["status"]) for r in data["join_requests"]] == [
        (organisation.name, "Moving departments", "pending")]


def test_who_registers_an_organisation_administers_it(client, db):
    response = _register(client, organisation_name="Stroke unit, Ullevål", organisation_kind="clinical_department",
                         country="NO")
    assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    user = db.scalar(select(User).where(User.email == "colleague@example.org"))
    assert user.organisation.name == "Stroke unit, Ullevål" and user.organisation_role == "admin"
