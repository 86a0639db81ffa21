"""/api/v1/organisations/{id}/members, invitations and join requests: an organisation's people."""

from __future__ import annotations

from typing import Annotated, TypeVar

from flask import g
from pydantic import BaseModel, ConfigDict, Field

from matchmaker.api import api_blueprint as bp
from matchmaker.api.params import parse_body
from matchmaker.api.schemas import Organisation as OrganisationOut
from matchmaker.api.schemas import Timestamp
from matchmaker.database import get_session
from matchmaker.services import invitations, join_requests, members, organisations

Body = TypeVar("Body", bound=BaseModel)
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


MEMBER_MODELS = [Member, MemberList, Invitation, InvitationList, InvitationInput, InvitationAcceptance, JoinRequest,
                 JoinRequestList, JoinRequestInput]


def _organisation(organisation_id: int):
    return organisations.get_organisation(get_session(), g.api_user, organisation_id)


def _request_json(request) -> dict:
    return JoinRequest.model_validate({**{k: getattr(request, k) for k in (
        "id", "organisation_id", "user_id", "message", "status", "created_at", "decided_at")},
        "name": request.user.name}).model_dump(mode="json")


@bp.get(f"{ORG}/members")
def list_members(organisation_id: int):
    people = members.list_members(get_session(), g.api_user, _organisation(organisation_id))
    return MemberList(items=[Member.model_validate(p) for p in people]).model_dump(mode="json")


@bp.post(f"{ORG}/members/<int:user_id>/promote")
def promote_member(organisation_id: int, user_id: int):
    return _set_role(organisation_id, user_id, "admin")


@bp.post(f"{ORG}/members/<int:user_id>/demote")
def demote_member(organisation_id: int, user_id: int):
    return _set_role(organisation_id, user_id, "member")


def _set_role(organisation_id: int, user_id: int, role: str) -> dict:
    member = members.set_role(get_session(), g.api_user, _organisation(organisation_id), user_id, role)
    return Member.model_validate(member).model_dump(mode="json")


@bp.delete(f"{ORG}/members/<int:user_id>")
def remove_member(organisation_id: int, user_id: int):
    members.remove_member(get_session(), g.api_user, _organisation(organisation_id), user_id)
    return "", 204


@bp.get(f"{ORG}/invitations")
def list_invitations(organisation_id: int):
    found = invitations.open_invitations(get_session(), g.api_user, _organisation(organisation_id))
    return InvitationList(items=[Invitation.model_validate(i) for i in found]).model_dump(mode="json")


@bp.post(f"{ORG}/invitations")
def create_invitation(organisation_id: int):
    organisation = _organisation(organisation_id)
    body = parse_body(InvitationInput)
    invitation = invitations.invite(get_session(), g.api_user, organisation, body.email)
    return Invitation.model_validate(invitation).model_dump(mode="json"), 201


@bp.delete(f"{ORG}/invitations/<int:invitation_id>")
def revoke_invitation(organisation_id: int, invitation_id: int):
    invitation = invitations.revoke(get_session(), g.api_user, _organisation(organisation_id), invitation_id)
    return Invitation.model_validate(invitation).model_dump(mode="json")


@bp.post("/invitations/accept")
def accept_invitation():
    organisation = invitations.accept(get_session(), g.api_user, parse_body(InvitationAcceptance).token)
    return OrganisationOut.model_validate(organisation).model_dump(mode="json")


@bp.get(f"{ORG}/join-requests")
def list_join_requests(organisation_id: int):
    waiting = join_requests.waiting(get_session(), g.api_user, _organisation(organisation_id))
    return {"items": [_request_json(r) for r in waiting]}


@bp.post(f"{ORG}/join-requests")
def create_join_request(organisation_id: int):
    organisation = _organisation(organisation_id)
    body = parse_body(JoinRequestInput)
    return _request_json(join_requests.ask(get_session(), g.api_user, organisation, body.message)), 201


@bp.post(f"{ORG}/join-requests/<int:request_id>/approve")
def approve_join_request(organisation_id: int, request_id: int):
    return _decide(organisation_id, request_id, approve=True)


@bp.post(f"{ORG}/join-requests/<int:request_id>/decline")
def decline_join_request(organisation_id: int, request_id: int):
    return _decide(organisation_id, request_id, approve=False)


def _decide(organisation_id: int, request_id: int, approve: bool) -> dict:
    decided = join_requests.decide(get_session(), g.api_user, _organisation(organisation_id), request_id, approve)
    return _request_json(decided)


# --- OpenAPI -----------------------------------------------------------------------------------

def member_paths() -> dict:
    from matchmaker.api.openapi import _id_parameter, _json, _responses

    def operation(operation_id, ok, model, errors, body=None, ids=("organisation_id",), description=""):
        found = {"operationId": operation_id, "responses": _responses(ok, model or "Error", errors),
                 "parameters": [_id_parameter(name) for name in ids]}
        if model is None:
            found["responses"][ok] = {"description": "Success, no content"}
        if body:
            found["requestBody"] = {"required": True, **_json(body)}
        if description:
            found["description"] = description
        return found

    org, admin_only = "/organisations/{organisation_id}", "Only the organisation's administrators"
    member, changes = ("organisation_id", "user_id"), ("401", "403", "404", "409")
    return {
        f"{org}/members": {"get": operation("list_members", "200", "MemberList", ("401", "403", "404"),
                                            description="The organisation's members, for its members")},
        f"{org}/members/{{user_id}}/promote": {"post": operation(
            "promote_member", "200", "Member", changes, ids=member, description=admin_only)},
        f"{org}/members/{{user_id}}/demote": {"post": operation(
            "demote_member", "200", "Member", changes, ids=member,
            description=f"{admin_only}; the last administrator stays one (409)")},
        f"{org}/members/{{user_id}}": {"delete": operation(
            "remove_member", "204", None, changes, ids=member,
            description=f"{admin_only}; the last administrator cannot be removed (409)")},
        f"{org}/invitations": {
            "get": operation("list_invitations", "200", "InvitationList", ("401", "403", "404"),
                             description="Invitations neither accepted, withdrawn nor expired"),
            "post": operation("create_invitation", "201", "Invitation", ("400", "401", "403", "404", "409", "422"),
                              "InvitationInput", description="E-mails a link that works once, for seven days")},
        f"{org}/invitations/{{invitation_id}}": {"delete": operation(
            "revoke_invitation", "200", "Invitation", changes, ids=("organisation_id", "invitation_id"),
            description="Withdraws an invitation; its link stops working")},
        "/invitations/accept": {"post": operation(
            "accept_invitation", "200", "Organisation", ("400", "401", "403", "404", "409", "422"),
            "InvitationAcceptance", ids=(), description="Join the organisation that invited your e-mail address")},
        f"{org}/join-requests": {
            "get": operation("list_join_requests", "200", "JoinRequestList", ("401", "403", "404"),
                             description="Requests waiting for an answer"),
            "post": operation("create_join_request", "201", "JoinRequest", ("400", "401", "404", "409", "422"),
                              "JoinRequestInput", description="Ask to join; its administrators answer")},
        **{f"{org}/join-requests/{{request_id}}/{decision}": {"post": operation(
            f"{decision}_join_request", "200", "JoinRequest", changes, ids=("organisation_id", "request_id"),
            description=admin_only)} for decision in ("approve", "decline")},
    }
