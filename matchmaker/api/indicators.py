"""GET /indicators: the figures of the caller's trust or funding agency (administrators: the
platform, or ?organisation=ID), optionally for ?from= and ?to= dates (YYYY-MM-DD).
GET /trust-overview: the trust's published needs beside the most similar needs at other trusts."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from flask import g
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from matchmaker.api import api_blueprint as bp
from matchmaker.api.documented import documented
from matchmaker.api.params import parse_query
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


def _id_or_none(value):
    """An organisation id that is no number is left out, as if not given."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


OrganisationId = Annotated[int | None, BeforeValidator(_id_or_none)]


class TrustOverviewQuery(BaseModel):
    organisation: OrganisationId = Field(default=None, description="Administrators: a trust id")


class IndicatorQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    organisation: OrganisationId = Field(default=None, description="Administrators: a trust or funding agency id")
    date_from: str | None = Field(default=None, alias="from", description="First date, YYYY-MM-DD")
    date_to: str | None = Field(default=None, alias="to", description="Last date, YYYY-MM-DD")


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
@documented("get_indicators", Indicators, query=IndicatorQuery, errors={
    "403": "Not a trust, funding agency or administrator, or another organisation's",
    "404": "No such trust or funding agency", "422": "Invalid dates; see error.fields"})
def get_indicators():
    db = get_session()
    query = parse_query(IndicatorQuery)
    scope = indicator_access.scope_for(db, g.api_user, query.organisation)
    period = indicator_access.parse_period(query.date_from, query.date_to)
    return serialise(indicators.indicators(db, scope, period))


@bp.get("/trust-overview")
@documented("get_trust_overview", TrustOverview, query=TrustOverviewQuery, errors={
    "403": "Not a member of a trust or its departments", "404": "No such trust"})
def get_trust_overview():
    db = get_session()
    scope = indicator_access.trust_scope_for(db, g.api_user, parse_query(TrustOverviewQuery).organisation)
    rows = trust_overview.overview(db, get_engine(), g.api_user, scope)
    needs = [TrustNeed(need_id=row.need.id, title=row.need.title, organisation=row.need.organisation.name,
                       trusts=row.trusts, similar=[_similar(match) for match in row.similar]) for row in rows]
    return TrustOverview(scope=IndicatorScope(kind=scope.kind, organisation_id=scope.organisation_id,
                                              name=scope.name), needs=needs).model_dump(mode="json")


def _similar(match) -> SimilarNeed:
    return SimilarNeed(need_id=match.profile.id, title=match.profile.title,
                       organisation=match.profile.organisation.name, score=round(match.score, 4),
                       strength=match.explanation.strength)
