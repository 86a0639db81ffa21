"""/api/v1 funding endpoints: instruments, suggestions with condition checks, follows, and
collaborations seeking an instrument. Thin handlers over the same services as the pages."""

from __future__ import annotations

from typing import TypeVar

from flask import g, url_for
from pydantic import BaseModel

from matchmaker.api import api_blueprint as bp
from matchmaker.api import funding_schemas as schemas
from matchmaker.api.openapi import _id_parameter, _json, _responses
from matchmaker.api.params import bad_body, json_body, parse_body, parse_query
from matchmaker.database import get_session
from matchmaker.match_views import record_match_view_after
from matchmaker.matching.runtime import get_engine
from matchmaker.services import profiles as profile_service
from matchmaker.services.collaborations import operations as collab
from matchmaker.services.funding import follows, instruments, links, suggestions

Body = TypeVar("Body", bound=BaseModel)
ITEM = "/instruments/<int:instrument_id>"


@bp.get("/instruments")
def list_instruments():
    query = parse_query(schemas.InstrumentQuery)
    db = get_session()
    if query.mine:
        found = instruments.of_agency(db, g.api_user.organisation_id or -1)
    else:
        found = instruments.published(db, instruments.InstrumentFilters(query.purpose, query.open))
    return {"items": [schemas.instrument_json(i) for i in found]}


@bp.post("/instruments")
def create_instrument():
    body = json_body()
    if body is None:
        return bad_body()
    instrument = instruments.create(get_session(), g.api_user, body)
    location = url_for("api.get_instrument", instrument_id=instrument.id)
    return schemas.instrument_json(instrument), 201, {"Location": location}


@bp.get(ITEM)
def get_instrument(instrument_id: int):
    return schemas.instrument_json(instruments.get_visible(get_session(), g.api_user, instrument_id))


@bp.patch(ITEM)
def update_instrument(instrument_id: int):
    body = json_body()
    if body is None:
        return bad_body()
    db = get_session()
    instrument = instruments.get_visible(db, g.api_user, instrument_id)
    return schemas.instrument_json(instruments.update(db, g.api_user, instrument, body))


@bp.post(f"{ITEM}/archive")
def archive_instrument(instrument_id: int):
    db = get_session()
    instrument = instruments.get_visible(db, g.api_user, instrument_id)
    return schemas.instrument_json(instruments.archive(db, g.api_user, instrument))


def _suggestions_json(results) -> dict:
    items = [{"instrument": schemas.instrument_json(s.instrument), "score": round(s.score, 4),
              "reason": [{"yours": mine, "theirs": theirs} for mine, theirs in s.passage_pairs],
              "checks": [{**vars(check), "text": str(check.text)} for check in s.checks]} for s in results]
    return schemas.SuggestionList.model_validate({"items": items}).model_dump(mode="json")


@bp.get("/needs/<int:profile_id>/instruments")
def need_instruments(profile_id: int):
    db = get_session()
    need = profile_service.get_visible_profile(db, g.api_user, "need", profile_id)
    results = suggestions.for_need(db, get_engine(), g.api_user, need)
    record_match_view_after(g.api_user, need, "instruments", "api", len(results))
    return _suggestions_json(results)


@bp.get("/collaborations/<int:collaboration_id>/instruments")
def collaboration_instruments(collaboration_id: int):
    db = get_session()
    collaboration = collab.get_visible(db, g.api_user, collaboration_id)
    return _suggestions_json(suggestions.for_collaboration(db, get_engine(), g.api_user, collaboration))


@bp.post("/collaborations/<int:collaboration_id>/funding")
def seek_instrument(collaboration_id: int):
    db = get_session()
    collaboration = collab.get_visible(db, g.api_user, collaboration_id)  # hidden: 404 before the body is read
    wanted = parse_body(schemas.FundingLinkRequest)
    instrument = instruments.get_visible(db, g.api_user, wanted.instrument_id)
    link = links.seek(db, g.api_user, collaboration, instrument)
    body = {"id": link.id, "collaboration_id": collaboration.id, "instrument": schemas.instrument_json(instrument),
            "created_at": link.created_at}
    return schemas.FundingLinkOut.model_validate(body).model_dump(mode="json"), 201


@bp.get("/follows")
def list_follows():
    items = [schemas.FollowOut.model_validate(f.follow) for f in follows.followed_by(get_session(), g.api_user)]
    return schemas.FollowList(items=items).model_dump(mode="json")


@bp.post("/follows")
def follow():
    wanted = parse_body(schemas.FollowRequest)
    followed = follows.follow(get_session(), g.api_user, wanted.need_id, wanted.collaboration_id,
                              wanted.instrument_id)
    return schemas.FollowOut.model_validate(followed).model_dump(mode="json"), 201


@bp.delete("/follows/<int:follow_id>")
def unfollow(follow_id: int):
    follows.unfollow(get_session(), g.api_user, follow_id)
    return "", 204


def _operation(operation_id: str, ok: str, model: str | None, errors: tuple[str, ...], body: str | None = None,
               path_id: str | None = None) -> dict:
    operation = {"operationId": operation_id, "responses": _responses(ok, model or "Error", errors)}
    if model is None:
        operation["responses"][ok] = {"description": "Success, no content"}
    if path_id:
        operation["parameters"] = [_id_parameter(path_id)]
    if body:
        operation["requestBody"] = {"required": True, **_json(body)}
    return operation


def funding_paths() -> dict:
    listing = _operation("list_instruments", "200", "InstrumentList", ("401", "422"))
    listing["parameters"] = [{"name": n, "in": "query", "required": False, "schema": {"type": t}}
                             for n, t in (("purpose", "string"), ("open", "boolean"), ("mine", "boolean"))]
    item, need = "/instruments/{instrument_id}", "needs/{profile_id}"
    collaboration = "collaborations/{collaboration_id}"
    return {
        "/instruments": {"get": listing, "post": _operation("create_instrument", "201", "Instrument",
                                                            ("400", "401", "403", "422"), "InstrumentInput")},
        item: {"get": _operation("get_instrument", "200", "Instrument", ("401", "404"), path_id="instrument_id"),
               "patch": _operation("update_instrument", "200", "Instrument", ("400", "401", "403", "404", "422"),
                                   "InstrumentInput", "instrument_id")},
        f"{item}/archive": {"post": _operation("archive_instrument", "200", "Instrument", ("401", "403", "404", "409"),
                                               path_id="instrument_id")},
        f"/{need}/instruments": {"get": _operation("need_instruments", "200", "SuggestionList", ("401", "404"),
                                                   path_id="profile_id")},
        f"/{collaboration}/instruments": {"get": _operation("collaboration_instruments", "200", "SuggestionList",
                                                            ("401", "403", "404"), path_id="collaboration_id")},
        f"/{collaboration}/funding": {"post": _operation("seek_instrument", "201", "FundingLinkOut",
                                                         ("400", "401", "403", "404", "409", "422"),
                                                         "FundingLinkRequest", "collaboration_id")},
        "/follows": {"get": _operation("list_follows", "200", "FollowList", ("401",)),
                     "post": _operation("follow", "201", "FollowOut", ("400", "401", "404", "409", "422"),
                                        "FollowRequest")},
        "/follows/{follow_id}": {"delete": _operation("unfollow", "204", None, ("401", "404"), path_id="follow_id")},
    }
