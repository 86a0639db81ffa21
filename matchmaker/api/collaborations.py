"""/api/v1/collaborations and joint needs, as thin handlers over the same services as the pages,
so the API refuses and allows exactly what the pages do."""

from __future__ import annotations

from flask import abort, g, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from matchmaker.api import api_blueprint as bp
from matchmaker.api import collaboration_schemas as schemas
from matchmaker.api.collaboration_schemas import CollaborationDetail, JointNeed
from matchmaker.api.documented import documented
from matchmaker.api.params import bad_body, json_body, parse_body, parse_query
from matchmaker.database import get_session
from matchmaker.models import Collaboration, Profile
from matchmaker.services import profiles as profile_service
from matchmaker.services.collaborations import joint_needs
from matchmaker.services.collaborations import operations as collab
from matchmaker.services.collaborations import terms as terms_rules
from matchmaker.services.errors import NotFound, ValidationFailed

ITEM = "/collaborations/<int:collaboration_id>"
ACTION_ERRORS = ("403", "404")  # every action on a collaboration


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
@documented("list_collaborations", schemas.CollaborationList, errors=("422",), query=schemas.CollaborationQuery)
def list_collaborations():
    query = parse_query(schemas.CollaborationQuery)
    found = collab.visible_collaborations(get_session(), g.api_user, query.listed, query.stage)
    return schemas.collaboration_list(found)


@bp.post("/collaborations")
@documented("propose_collaboration", CollaborationDetail, status=201, errors=("400", "403", "422"),
            body=schemas.ProposeRequest)
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
@documented("get_collaboration", CollaborationDetail, errors=("404",))
def get_collaboration(collaboration_id: int):
    return _detail(_visible(collaboration_id)[1])


@bp.post(f"{ITEM}/terms")
@documented("write_terms", CollaborationDetail, errors=ACTION_ERRORS + ("400", "409", "422"), body=schemas.TermsInput)
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
@documented("agree_to_terms", CollaborationDetail, errors=ACTION_ERRORS + ("409",))
def agree_to_terms(collaboration_id: int):
    db, collaboration = _visible(collaboration_id)
    return _detail(collab.agree(db, g.api_user, collaboration))


@bp.post(f"{ITEM}/move")
@documented("move_collaboration", CollaborationDetail, errors=ACTION_ERRORS + ("400", "409", "422"),
            body=schemas.MoveRequest)
def move_collaboration(collaboration_id: int):
    db, collaboration = _visible(collaboration_id)
    wanted = parse_body(schemas.MoveRequest)
    return _detail(collab.move(db, g.api_user, collaboration, wanted.to, wanted.note))


@bp.post(f"{ITEM}/comments")
@documented("comment_on_collaboration", CollaborationDetail, errors=ACTION_ERRORS + ("400", "422"),
            body=schemas.CommentRequest)
def comment_on_collaboration(collaboration_id: int):
    db, collaboration = _visible(collaboration_id)
    collab.comment(db, g.api_user, collaboration, parse_body(schemas.CommentRequest).text)
    return _detail(collaboration)


@bp.post(f"{ITEM}/listing")
@documented("set_collaboration_listing", CollaborationDetail, errors=ACTION_ERRORS + ("400", "422"),
            body=schemas.ListingRequest)
def set_collaboration_listing(collaboration_id: int):
    db, collaboration = _visible(collaboration_id)
    return _detail(collab.set_listing(db, g.api_user, collaboration, parse_body(schemas.ListingRequest).listed))


@bp.post(f"{ITEM}/result")
@documented("publish_collaboration_result", CollaborationDetail, errors=ACTION_ERRORS + ("400", "409", "422"),
            body=schemas.ResultRequest)
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
@documented("get_need_co_owners", JointNeed, errors=("404",))
def need_co_owners(profile_id: int):
    return _joint_need(*_visible_need(profile_id))


@bp.post("/needs/<int:profile_id>/join")
@documented("join_need", JointNeed, status=201, errors=("400", "403", "404", "409", "422"),
            body=schemas.JoinNeedRequest)
def join_need(profile_id: int):
    db, need = _visible_need(profile_id)
    wanted = parse_body(schemas.JoinNeedRequest)
    joint_needs.join(db, g.api_user, need, wanted.site, wanted.patient_volume)
    return _joint_need(db, need), 201, {"Location": url_for("api.need_co_owners", profile_id=need.id)}


@bp.post("/needs/<int:profile_id>/leave")
@documented("leave_need", JointNeed, errors=("404",))
def leave_need(profile_id: int):
    db, need = _visible_need(profile_id)
    joint_needs.leave(db, g.api_user, need)
    return _joint_need(db, need)
