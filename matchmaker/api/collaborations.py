"""/api/v1/collaborations and joint needs, as thin handlers over the same services as the pages,
so the API refuses and allows exactly what the pages do."""

from __future__ import annotations

from flask import abort, g, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from matchmaker.api import api_blueprint as bp
from matchmaker.api import collaboration_schemas as schemas
from matchmaker.api.openapi import _id_parameter, _json, _responses
from matchmaker.api.params import bad_body, json_body, parse_body, parse_query
from matchmaker.database import get_session
from matchmaker.models import Collaboration, Profile
from matchmaker.services import profiles as profile_service
from matchmaker.services.collaborations import joint_needs
from matchmaker.services.collaborations import operations as collab
from matchmaker.services.collaborations import terms as terms_rules
from matchmaker.services.errors import NotFound, ValidationFailed
from matchmaker.vocabulary import COLLABORATION_STAGES

ITEM = "/collaborations/<int:collaboration_id>"


def _visible(collaboration_id: int) -> tuple[Session, Collaboration]:
    db = get_session()
    return db, collab.get_visible(db, g.api_user, collaboration_id)


def _detail(collaboration: Collaboration) -> dict:
    get_session().flush()  # events recorded in this request get their ids and times on flush
    return schemas.collaboration_detail(collaboration, collab.allowed_moves(g.api_user, collaboration),
                                   collab.can_read_comments(g.api_user, collaboration))


def _referenced_profile(db: Session, kind: str, profile_id: int | None, field: str) -> Profile | None:
    """A profile named in the body: unknown or hidden is a bad field, not a missing page."""
    if profile_id is None:
        return None
    try:
        return profile_service.get_visible_profile(db, g.api_user, kind, profile_id)
    except NotFound as error:
        raise ValidationFailed(_("Please correct the marked fields."), {field: error.message}) from error


@bp.get("/collaborations")
def list_collaborations():
    query = parse_query(schemas.CollaborationQuery)
    found = collab.visible_collaborations(get_session(), g.api_user, query.listed, query.stage)
    return schemas.collaboration_list(found)


@bp.post("/collaborations")
def propose_collaboration():
    wanted = parse_body(schemas.ProposeBody)
    db = get_session()
    need = _referenced_profile(db, "need", wanted.need_id, "need_id")
    capability = _referenced_profile(db, "capability", wanted.capability_id, "capability_id")
    terms = {**terms_rules.template(need, capability), **(wanted.terms or {})}
    collaboration = collab.propose(db, g.api_user, need, capability, terms)
    location = url_for("api.get_collaboration", collaboration_id=collaboration.id)
    return _detail(collaboration), 201, {"Location": location}


@bp.get(ITEM)
def get_collaboration(collaboration_id: int):
    return _detail(_visible(collaboration_id)[1])


@bp.post(f"{ITEM}/terms")
def write_terms(collaboration_id: int):
    db, collaboration = _visible(collaboration_id)
    changes = json_body()
    if changes is None:
        abort(bad_body())
    # The terms service checks the merged terms once, unknown fields included.
    current = {name: getattr(collaboration.current_terms, name) for name in terms_rules.FIELDS}
    collab.update_terms(db, g.api_user, collaboration, {**current, **changes})
    return _detail(collaboration)


@bp.post(f"{ITEM}/agree")
def agree_to_terms(collaboration_id: int):
    db, collaboration = _visible(collaboration_id)
    return _detail(collab.agree(db, g.api_user, collaboration))


@bp.post(f"{ITEM}/move")
def move_collaboration(collaboration_id: int):
    db, collaboration = _visible(collaboration_id)
    wanted = parse_body(schemas.MoveRequest)
    return _detail(collab.move(db, g.api_user, collaboration, wanted.to, wanted.note))


@bp.post(f"{ITEM}/comments")
def comment_on_collaboration(collaboration_id: int):
    db, collaboration = _visible(collaboration_id)
    collab.comment(db, g.api_user, collaboration, parse_body(schemas.CommentRequest).text)
    return _detail(collaboration)


@bp.post(f"{ITEM}/listing")
def set_collaboration_listing(collaboration_id: int):
    db, collaboration = _visible(collaboration_id)
    return _detail(collab.set_listing(db, g.api_user, collaboration, parse_body(schemas.ListingRequest).listed))


@bp.post(f"{ITEM}/result")
def publish_collaboration_result(collaboration_id: int):
    db, collaboration = _visible(collaboration_id)
    return _detail(collab.publish_result(db, g.api_user, collaboration, parse_body(schemas.ResultRequest).summary))


def _visible_need(profile_id: int) -> tuple[Session, Profile]:
    db = get_session()
    return db, profile_service.get_visible_profile(db, g.api_user, "need", profile_id)


def _joint_need(db: Session, need: Profile) -> dict:
    return schemas.joint_need(need, joint_needs.co_owners(db, need), joint_needs.trusts_and_sites(db, need),
                         joint_needs.can_join(g.api_user, need), g.api_user.organisation_id)


@bp.get("/needs/<int:profile_id>/co-owners")
def need_co_owners(profile_id: int):
    return _joint_need(*_visible_need(profile_id))


@bp.post("/needs/<int:profile_id>/join")
def join_need(profile_id: int):
    db, need = _visible_need(profile_id)
    wanted = parse_body(schemas.JoinRequest)
    joint_needs.join(db, g.api_user, need, wanted.site, wanted.patient_volume)
    return _joint_need(db, need), 201, {"Location": url_for("api.need_co_owners", profile_id=need.id)}


@bp.post("/needs/<int:profile_id>/leave")
def leave_need(profile_id: int):
    db, need = _visible_need(profile_id)
    joint_needs.leave(db, g.api_user, need)
    return _joint_need(db, need)


def _operation(operation_id: str, ok: str, model: str, errors: tuple[str, ...], body: str | None = None,
               parameters: list | None = None) -> dict:
    operation = {"operationId": operation_id, "parameters": parameters or [],
                 "responses": _responses(ok, model, ("401", *errors))}
    if body:
        operation["requestBody"] = {"required": True, **_json(body)}
    return operation


def _action(operation_id: str, body: str | None, errors: tuple[str, ...]) -> dict:
    """A POST on one collaboration that answers with the collaboration as it is afterwards."""
    errors = ("400", *errors) if body else errors
    return {"post": _operation(operation_id, "200", "CollaborationDetail", ("403", "404", *errors), body,
                               [_id_parameter("collaboration_id")])}


def collaboration_paths() -> dict:
    """The OpenAPI paths of this module's routes."""
    item, need = [_id_parameter("collaboration_id")], [_id_parameter("profile_id")]
    list_parameters = [
        {"name": "listed", "in": "query", "required": False, "schema": {"type": "boolean"},
         "description": "Also the collaborations both sides have listed publicly"},
        {"name": "stage", "in": "query", "required": False, "schema": {"enum": list(COLLABORATION_STAGES)}}]
    return {
        "/collaborations": {
            "get": _operation("list_collaborations", "200", "CollaborationList", ("422",),
                              parameters=list_parameters),
            "post": _operation("propose_collaboration", "201", "CollaborationDetail", ("400", "403", "422"),
                               "ProposeRequest")},
        "/collaborations/{collaboration_id}": {
            "get": _operation("get_collaboration", "200", "CollaborationDetail", ("404",), parameters=item)},
        "/collaborations/{collaboration_id}/terms": _action("write_terms", "TermsInput", ("409", "422")),
        "/collaborations/{collaboration_id}/agree": _action("agree_to_terms", None, ("409",)),
        "/collaborations/{collaboration_id}/move": _action("move_collaboration", "MoveRequest", ("409", "422")),
        "/collaborations/{collaboration_id}/comments": _action("comment_on_collaboration", "CommentRequest",
                                                               ("422",)),
        "/collaborations/{collaboration_id}/listing": _action("set_collaboration_listing", "ListingRequest",
                                                              ("422",)),
        "/collaborations/{collaboration_id}/result": _action("publish_collaboration_result", "ResultRequest",
                                                             ("409", "422")),
        "/needs/{profile_id}/co-owners": {
            "get": _operation("get_need_co_owners", "200", "JointNeed", ("404",), parameters=need)},
        "/needs/{profile_id}/join": {
            "post": _operation("join_need", "201", "JointNeed", ("400", "403", "404", "409", "422"),
                               "JoinRequest", need)},
        "/needs/{profile_id}/leave": {
            "post": _operation("leave_need", "200", "JointNeed", ("404",), parameters=need)},
    }
