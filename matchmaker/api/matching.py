"""Match endpoints: /needs/<id>/matches, /capabilities/<id>/matches, /needs/<id>/similar, /match."""

from __future__ import annotations

import json

from flask import current_app, g, request

from matchmaker.api import api_blueprint as bp
from matchmaker.api.answer_cache import AnswerCache
from matchmaker.api.documented import PerPath, documented
from matchmaker.api.params import facet_filters, parse_body, parse_query
from matchmaker.api.profiles import KIND_BY_SECTION, SECTION, serialise
from matchmaker.api.schemas import MatchFilters, MatchList, TextMatchRequest
from matchmaker.database import get_session, reads_only
from matchmaker.match_views import record_match_view_after
from matchmaker.matching.runtime import get_engine
from matchmaker.matching.wording import describe_mismatch
from matchmaker.services import matching
from matchmaker.services import profiles as profile_service


def _profile_filters(query: MatchFilters):
    return facet_filters(query, organisation_kind=query.organisation_kind)


def _answer(results) -> dict:
    items = [{
        "profile": serialise(m.profile),
        "strength": m.explanation.strength,
        "score": round(m.score, 4),
        "explanation": {
            "passages": [{"yours": mine, "theirs": theirs} for mine, theirs in m.explanation.passage_pairs],
            "shared_clinical_areas": m.explanation.shared_areas,
            "shared_care_settings": m.explanation.shared_settings,
            "mismatches": [{"code": code, "message": describe_mismatch(code, params)}
                           for code, params in m.explanation.mismatches],
        }} for m in results]
    # Each profile was validated by serialise(); validating the list again (profile being a union
    # of two models) cost a third of a match request. The response-schema tests hold the shape.
    return {"items": items, "total": results.total, "offset": results.offset, "closest": results.closest}


def _answer_cache() -> AnswerCache:
    cache = current_app.extensions.get("matchmaker.answer_cache")
    if cache is None:
        cache = AnswerCache(seconds=current_app.config.get("MATCH_ANSWER_SECONDS", 60))
        cache = current_app.extensions.setdefault("matchmaker.answer_cache", cache)
    return cache


def _cached_answer(db, asked, rank) -> tuple[dict, int]:
    """The answer to ``asked`` by this user while the index is where it is now; ``rank`` makes
    it. Returns the answer and how many matches it shows (for the match-view record)."""
    engine = get_engine()
    engine.sync(db)
    key = (g.api_user.id, engine.last_change, asked)

    def make() -> tuple[dict, int]:
        results = rank(engine)
        return _answer(results), len(results)
    return _answer_cache().get_or_make(key, make)


def _asked() -> tuple:
    return request.path, tuple(sorted(request.args.items(multi=True)))


@bp.get(f"/{SECTION}/<int:profile_id>/matches")
@documented(PerPath(needs="match_need", capabilities="match_capability"), MatchList, errors=("404", "422"),
            query=MatchFilters)
def profile_matches(section: str, profile_id: int):
    query = parse_query(MatchFilters)
    db = get_session()
    profile = profile_service.get_visible_profile(db, g.api_user, KIND_BY_SECTION[section], profile_id)
    answer, shown = _cached_answer(db, _asked(), lambda engine: matching.matches_for_profile(
        db, engine, g.api_user, profile, _profile_filters(query), query.limit, query.offset))
    record_match_view_after(g.api_user, profile, "matches", channel="api", results=shown)
    return answer


@bp.get("/needs/<int:profile_id>/similar")
@documented("similar_needs", MatchList, errors=("404", "422"), query=MatchFilters)
def similar_needs(profile_id: int):
    query = parse_query(MatchFilters)
    db = get_session()
    need = profile_service.get_visible_profile(db, g.api_user, "need", profile_id)
    answer, shown = _cached_answer(db, _asked(), lambda engine: matching.similar_needs(
        db, engine, g.api_user, need, _profile_filters(query), query.limit, query.offset))
    record_match_view_after(g.api_user, need, "similar", channel="api", results=shown)
    return answer


@bp.post("/match")
@reads_only
@documented("match_text", MatchList, errors=("400", "422"), body=TextMatchRequest)
def match_text():
    wanted = parse_body(TextMatchRequest)
    db = get_session()
    asked = (request.path, json.dumps(wanted.model_dump(mode="json"), sort_keys=True))
    answer, shown = _cached_answer(db, asked, lambda engine: matching.match_text(
        db, engine, g.api_user, wanted.text, wanted.kind, _profile_filters(wanted), wanted.limit, wanted.offset))
    record_match_view_after(g.api_user, None, "search", channel="api", results=shown)
    return answer
