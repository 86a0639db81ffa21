"""/api/v1 funding endpoints: instruments, suggestions with condition checks, follows, and
collaborations seeking an instrument. Thin handlers over the same services as the pages."""

from __future__ import annotations

from flask import g, url_for

from matchmaker.api import api_blueprint as bp
from matchmaker.api import funding_schemas as schemas
from matchmaker.api.documented import Changes, documented
from matchmaker.api.params import bad_body, json_body, parse_body, parse_query
from matchmaker.database import get_session
from matchmaker.match_views import record_match_view_after
from matchmaker.matching.runtime import get_engine
from matchmaker.services import profiles as profile_service
from matchmaker.services.collaborations import operations as collab
from matchmaker.services.funding import follows, instruments, links, suggestions
from matchmaker.services.funding.schemas import InstrumentInput

ITEM = "/instruments/<int:instrument_id>"


@bp.get("/instruments")
@documented("list_instruments", schemas.InstrumentList, errors=("422",), query=schemas.InstrumentQuery)
def list_instruments():
    query = parse_query(schemas.InstrumentQuery)
    db = get_session()
    if query.mine:
        found = instruments.of_agency(db, g.api_user.organisation_id or -1)
    else:
        found = instruments.published(db, instruments.InstrumentFilters(query.purpose, query.open))
    return {"items": [schemas.instrument_json(i) for i in found]}


@bp.post("/instruments")
@documented("create_instrument", schemas.Instrument, status=201, errors=("400", "403", "422"),
            body=InstrumentInput)
def create_instrument():
    body = json_body()
    if body is None:
        return bad_body()
    instrument = instruments.create(get_session(), g.api_user, body)
    location = url_for("api.get_instrument", instrument_id=instrument.id)
    return schemas.instrument_json(instrument), 201, {"Location": location}


@bp.get(ITEM)
@documented("get_instrument", schemas.Instrument, errors=("404",))
def get_instrument(instrument_id: int):
    return schemas.instrument_json(instruments.get_visible(get_session(), g.api_user, instrument_id))


@bp.patch(ITEM)
@documented("update_instrument", schemas.Instrument, errors=("400", "403", "404", "422"),
            body=Changes(InstrumentInput))
def update_instrument(instrument_id: int):
    body = json_body()
    if body is None:
        return bad_body()
    db = get_session()
    instrument = instruments.get_visible(db, g.api_user, instrument_id)
    return schemas.instrument_json(instruments.update(db, g.api_user, instrument, body))


@bp.post(f"{ITEM}/archive")
@documented("archive_instrument", schemas.Instrument, errors=("403", "404", "409"))
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
@documented("need_instruments", schemas.SuggestionList, errors=("404",))
def need_instruments(profile_id: int):
    db = get_session()
    need = profile_service.get_visible_profile(db, g.api_user, "need", profile_id)
    results = suggestions.for_need(db, get_engine(), g.api_user, need)
    record_match_view_after(g.api_user, need, "instruments", "api", len(results))
    return _suggestions_json(results)


@bp.get("/collaborations/<int:collaboration_id>/instruments")
@documented("collaboration_instruments", schemas.SuggestionList, errors=("403", "404"))
def collaboration_instruments(collaboration_id: int):
    db = get_session()
    collaboration = collab.get_visible(db, g.api_user, collaboration_id)
    return _suggestions_json(suggestions.for_collaboration(db, get_engine(), g.api_user, collaboration))


@bp.post("/collaborations/<int:collaboration_id>/funding")
@documented("seek_instrument", schemas.FundingLinkOut, status=201, errors=("400", "403", "404", "409", "422"),
            body=schemas.FundingLinkRequest)
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
@documented("list_follows", schemas.FollowList)
def list_follows():
    items = [schemas.FollowOut.model_validate(f.follow) for f in follows.followed_by(get_session(), g.api_user)]
    return schemas.FollowList(items=items).model_dump(mode="json")


@bp.post("/follows")
@documented("follow", schemas.FollowOut, status=201, errors=("400", "404", "409", "422"),
            body=schemas.FollowRequest)
def follow():
    wanted = parse_body(schemas.FollowRequest)
    followed = follows.follow(get_session(), g.api_user, wanted.need_id, wanted.collaboration_id,
                              wanted.instrument_id)
    return schemas.FollowOut.model_validate(followed).model_dump(mode="json"), 201


@bp.delete("/follows/<int:follow_id>")
@documented("unfollow", None, status=204, errors=("404",))
def unfollow(follow_id: int):
    follows.unfollow(get_session(), g.api_user, follow_id)
    return "", 204
