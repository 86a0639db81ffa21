"""GET /indicators: the figures of the caller's trust or funding agency (administrators: the
platform, or ?organisation=ID), optionally for ?from= and ?to= dates (YYYY-MM-DD).
GET /trust-overview: the trust's published needs beside the most similar needs at other trusts."""

from __future__ import annotations

from datetime import date

from flask import g, request
from pydantic import BaseModel

from matchmaker.api import api_blueprint as bp
from matchmaker.database import get_session
from matchmaker.matching.runtime import get_engine
from matchmaker.services import indicator_access, indicators, trust_overview


class IndicatorScope(BaseModel):
    kind: str  # trust, agency or platform
    organisation_id: int | None
    name: str


class IndicatorFunnelStep(BaseModel):
    key: str  # published, collaboration, agreement, testing, verified
    count: int
    percent: float  # of the needs published


class IndicatorStageTime(BaseModel):
    stage: str
    count: int
    median_days: float
    mean_days: float


class Indicators(BaseModel):
    scope: IndicatorScope
    date_from: date | None
    date_to: date | None
    needs_published: int
    needs_by_month: dict[str, int]
    match_views: int
    match_views_by_month: dict[str, int]
    meetings_held: int
    collaborations_by_stage: dict[str, int]
    funnel: list[IndicatorFunnelStep]
    stage_times: list[IndicatorStageTime]


class SimilarNeed(BaseModel):
    need_id: int
    title: str
    organisation: str
    score: float
    strength: str | None  # strong, good or possible; None for a closest need that earns no word


class TrustNeed(BaseModel):
    need_id: int
    title: str
    organisation: str
    trusts: int  # how many trusts the need spans; more than one makes it a joint need
    similar: list[SimilarNeed]


class TrustOverview(BaseModel):
    scope: IndicatorScope
    needs: list[TrustNeed]


INDICATOR_MODELS = [Indicators, TrustOverview]


def serialise(figures: indicators.Indicators) -> dict:
    scope = figures.scope
    return Indicators(
        scope=IndicatorScope(kind=scope.kind, organisation_id=scope.organisation_id, name=scope.name),
        date_from=figures.period.start, date_to=figures.period.end,
        needs_published=figures.needs_published, needs_by_month=figures.needs_by_month,
        match_views=figures.views, match_views_by_month=figures.views_by_month, meetings_held=figures.meetings_held,
        collaborations_by_stage=figures.collaborations_by_stage,
        funnel=[IndicatorFunnelStep(**vars(step)) for step in figures.funnel],
        stage_times=[IndicatorStageTime(**vars(item)) for item in figures.stage_times],
    ).model_dump(mode="json")


@bp.get("/indicators")
def get_indicators():
    db = get_session()
    scope = indicator_access.scope_for(db, g.api_user, request.args.get("organisation", type=int))
    period = indicator_access.parse_period(request.args.get("from"), request.args.get("to"))
    return serialise(indicators.indicators(db, scope, period))


@bp.get("/trust-overview")
def get_trust_overview():
    db = get_session()
    scope = indicator_access.trust_scope_for(db, g.api_user, request.args.get("organisation", type=int))
    rows = trust_overview.overview(db, get_engine(), g.api_user, scope)
    needs = [TrustNeed(need_id=row.need.id, title=row.need.title, organisation=row.need.organisation.name,
                       trusts=row.trusts, similar=[_similar(match) for match in row.similar]) for row in rows]
    return TrustOverview(scope=IndicatorScope(kind=scope.kind, organisation_id=scope.organisation_id,
                                              name=scope.name), needs=needs).model_dump(mode="json")


def _similar(match) -> SimilarNeed:
    return SimilarNeed(need_id=match.profile.id, title=match.profile.title,
                       organisation=match.profile.organisation.name, score=round(match.score, 4),
                       strength=match.explanation.strength)


def _query(name: str, kind: str, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": {"type": kind}, "description": description}


def indicator_paths() -> dict:
    """The OpenAPI path of this module, for the API document."""
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {"/indicators": {"get": {
        "operationId": "get_indicators",
        "parameters": [_query("organisation", "integer", "Administrators: a trust or funding agency id"),
                       _query("from", "string", "First date, YYYY-MM-DD"),
                       _query("to", "string", "Last date, YYYY-MM-DD")],
        "responses": {
            "200": {"description": "Success", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Indicators"}}}},
            "401": {"description": "Missing, unknown or revoked API token", **error},
            "403": {"description": "Not a trust, funding agency or administrator, or another organisation's",
                    **error},
            "404": {"description": "No such trust or funding agency", **error},
            "422": {"description": "Invalid dates; see error.fields", **error},
        }}},
        "/trust-overview": {"get": {
            "operationId": "get_trust_overview",
            "parameters": [_query("organisation", "integer", "Administrators: a trust id")],
            "responses": {
                "200": {"description": "Success", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/TrustOverview"}}}},
                "401": {"description": "Missing, unknown or revoked API token", **error},
                "403": {"description": "Not a member of a trust or its departments", **error},
                "404": {"description": "No such trust", **error},
            }}}}
