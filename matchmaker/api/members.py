"""/api/v1/organisations/{id}/members, invitations and join requests: an organisation's people."""

from __future__ import annotations

from typing import Annotated

from flask import g
from pydantic import BaseModel, ConfigDict, Field

from matchmaker.api import api_blueprint as bp
from matchmaker.api.documented import documented
from matchmaker.api.params import parse_body
from matchmaker.api.schemas import Organisation as OrganisationOut
from matchmaker.api.schemas import Timestamp
from matchmaker.database import get_session
from matchmaker.services import invitations, join_requests, members, organisations

ORG = "/organisations/<int:organisation_id>"


class Member(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str
    role: str = Field(validation_alias="organisation_role", description="admin or member")


class MemberList(BaseModel):
    items: list[Member]


class Invitation(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    invited_by_id: int | None
    created_at: Timestamp
    expires_at: Timestamp
    accepted_at: Timestamp | None
    revoked_at: Timestamp | None


class InvitationList(BaseModel):
    items: list[Invitation]


class InvitationInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, Field(max_length=254, description="Your colleague's e-mail; the link goes there")]


class InvitationAcceptance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, Field(max_length=2000, description="The token from the invitation link")]


class JoinRequest(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    user_id: int
    name: str
    message: str
    status: str = Field(description="pending, approved or declined")
    created_at: Timestamp
    decided_at: Timestamp | None


class JoinRequestList(BaseModel):
    items: list[JoinRequest]


class JoinRequestInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: Annotated[str, Field(max_length=join_requests.MESSAGE_LIMIT)] = ""


ADMIN_ONLY = "Only the organisation's administrators"
CHANGES = ("403", "404", "409")


def _organisation(organisation_id: int):
    return organisations.get_organisation(get_session(), g.api_user, organisation_id)


def _request_json(request) -> dict:
    return JoinRequest.model_validate({**{k: getattr(request, k) for k in (
        "id", "organisation_id", "user_id", "message", "status", "created_at", "decided_at")},
        "name": request.user.name}).model_dump(mode="json")


@bp.get(f"{ORG}/members")
@documented("list_members", MemberList, errors=("403", "404"),
            description="The organisation's members, for its members")
def list_members(organisation_id: int):
    people = members.list_members(get_session(), g.api_user, _organisation(organisation_id))
    return MemberList(items=[Member.model_validate(p) for p in people]).model_dump(mode="json")


@bp.post(f"{ORG}/members/<int:user_id>/promote")
@documented("promote_member", Member, errors=CHANGES, description=ADMIN_ONLY)
def promote_member(organisation_id: int, user_id: int):
    return _set_role(organisation_id, user_id, "admin")


@bp.post(f"{ORG}/members/<int:user_id>/demote")
@documented("demote_member", Member, errors=CHANGES,
            description=f"{ADMIN_ONLY}; the last administrator stays one (409)")
def demote_member(organisation_id: int, user_id: int):
    return _set_role(organisation_id, user_id, "member")


def _set_role(organisation_id: int, user_id: int, role: str) -> dict:
    member = members.set_role(get_session(), g.api_user, _organisation(organisation_id), user_id, role)
    return Member.model_validate(member).model_dump(mode="json")


@bp.delete(f"{ORG}/members/<int:user_id>")
@documented("remove_member", None, status=204, errors=CHANGES,
            description=f"{ADMIN_ONLY}; the last administrator cannot be removed (409)")
def remove_member(organisation_id: int, user_id: int):
    members.remove_member(get_session(), g.api_user, _organisation(organisation_id), user_id)
    return "", 204


@bp.get(f"{ORG}/invitations")
@documented("list_invitations", InvitationList, errors=("403", "404"),
            description="Invitations neither accepted, withdrawn nor expired")
def list_invitations(organisation_id: int):
    found = invitations.open_invitations(get_session(), g.api_user, _organisation(organisation_id))
    return InvitationList(items=[Invitation.model_validate(i) for i in found]).model_dump(mode="json")


@bp.post(f"{ORG}/invitations")
@documented("create_invitation", Invitation, status=201, errors=("400", "403", "404", "409", "422"),
            body=InvitationInput, description="E-mails a link that works once, for seven days")
def create_invitation(organisation_id: int):
    organisation = _organisation(organisation_id)
    body = parse_body(InvitationInput)
    invitation = invitations.invite(get_session(), g.api_user, organisation, body.email)
    return Invitation.model_validate(invitation).model_dump(mode="json"), 201


@bp.delete(f"{ORG}/invitations/<int:invitation_id>")
@documented("revoke_invitation", Invitation, errors=CHANGES,
            description="Withdraws an invitation; its link stops working")
def revoke_invitation(organisation_id: int, invitation_id: int):
    invitation = invitations.revoke(get_session(), g.api_user, _organisation(organisation_id), invitation_id)
    return Invitation.model_validate(invitation).model_dump(mode="json")


@bp.post("/invitations/accept")
@documented("accept_invitation", OrganisationOut, errors=("400", "403", "404", "409", "422"),
            body=InvitationAcceptance, description="Join the organisation that invited your e-mail address")
def accept_invitation():
    organisation = invitations.accept(get_session(), g.api_user, parse_body(InvitationAcceptance).token)
    return OrganisationOut.model_validate(organisation).model_dump(mode="json")


@bp.get(f"{ORG}/join-requests")
@documented("list_join_requests", JoinRequestList, errors=("403", "404"), description="Requests waiting for an answer")
def list_join_requests(organisation_id: int):
    waiting = join_requests.waiting(get_session(), g.api_user, _organisation(organisation_id))
    return {"items": [_request_json(r) for r in waiting]}


@bp.post(f"{ORG}/join-requests")
@documented("create_join_request", JoinRequest, status=201, errors=("400", "404", "409", "422"),
            body=JoinRequestInput, description="Ask to join; its administrators answer")
def create_join_request(organisation_id: int):
    organisation = _organisation(organisation_id)
    body = parse_body(JoinRequestInput)
    return _request_json(join_requests.ask(get_session(), g.api_user, organisation, body.message)), 201


@bp.post(f"{ORG}/join-requests/<int:request_id>/approve")
@documented("approve_join_request", JoinRequest, errors=CHANGES, description=ADMIN_ONLY)
def approve_join_request(organisation_id: int, request_id: int):
    return _decide(organisation_id, request_id, approve=True)


@bp.post(f"{ORG}/join-requests/<int:request_id>/decline")
@documented("decline_join_request", JoinRequest, errors=CHANGES, description=ADMIN_ONLY)
def decline_join_request(organisation_id: int, request_id: int):
    return _decide(organisation_id, request_id, approve=False)


def _decide(organisation_id: int, request_id: int, approve: bool) -> dict:
    decided = join_requests.decide(get_session(), g.api_user, _organisation(organisation_id), request_id, approve)
    return _request_json(decided)
