"""Indicators for a health trust, a funding agency or the whole platform: needs published, match
lists viewed, arena meetings held, collaborations by stage, the funnel from need to verified
solution, and how long collaborations stay in each stage.

Grouping by month happens in Python, not SQL, so SQLite and PostgreSQL give the same answer;
only timestamp columns are loaded for it.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from statistics import mean, median

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.orm import Session

from matchmaker.models import (
    ArenaParticipant,
    ArenaSlot,
    Collaboration,
    CollaborationEvent,
    Follow,
    FundingInstrument,
    FundingLink,
    MatchView,
    Meeting,
    MeetingSeat,
    Organisation,
    Profile,
    User,
)
from matchmaker.models.arenas import as_utc
from matchmaker.models.types import utcnow
from matchmaker.vocabulary import COLLABORATION_STAGES

SCOPE_KINDS = ("trust", "agency", "platform")
FUNNEL_STEPS = ("published", "collaboration", "agreement", "testing", "verified")
# Final stages have no end, so time spent in them says nothing.
FINAL_STAGES = ("declined", "verified", "stopped")
# Stages that come after agreement: reaching one of them means agreement was reached first.
LATER_THAN = {"agreement": ("testing", "verified"), "testing": ("verified",), "verified": ()}


@dataclass(frozen=True)
class Scope:
    """Whose indicators: a trust with its departments, a funding agency, or the platform."""

    kind: str
    organisation_id: int | None = None
    name: str = ""
    organisation_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Period:
    """Dates from and to, both included; None leaves that end open."""

    start: date | None = None
    end: date | None = None

    def condition(self, column) -> ColumnElement[bool]:
        parts = []
        if self.start:
            parts.append(column >= datetime.combine(self.start, time.min, UTC))
        if self.end:
            parts.append(column < datetime.combine(self.end + timedelta(days=1), time.min, UTC))
        return and_(true(), *parts)


@dataclass
class FunnelStep:
    key: str
    count: int
    percent: float  # of the needs published


@dataclass
class StageTime:
    stage: str
    count: int  # stays measured
    median_days: float
    mean_days: float


@dataclass
class Indicators:
    scope: Scope
    period: Period
    needs_published: int
    needs_by_month: dict[str, int]
    views: int
    views_by_month: dict[str, int]
    meetings_held: int
    collaborations_by_stage: dict[str, int]
    funnel: list[FunnelStep]
    stage_times: list[StageTime]
    months: list[str] = field(default_factory=list)

    def rows(self) -> list[tuple[str, str, str]]:
        """(indicator, key, value) for every figure, in a stable order for exports."""
        rows = [("needs_published", "total", str(self.needs_published))]
        rows += [("needs_published", m, str(self.needs_by_month.get(m, 0))) for m in self.months]
        rows += [("match_views", "total", str(self.views))]
        rows += [("match_views", m, str(self.views_by_month.get(m, 0))) for m in self.months]
        rows += [("meetings_held", "total", str(self.meetings_held))]
        rows += [("collaborations_by_stage", s, str(n)) for s, n in self.collaborations_by_stage.items()]
        rows += [("funnel", step.key, str(step.count)) for step in self.funnel]
        rows += [("funnel_percent", step.key, f"{step.percent:.1f}") for step in self.funnel]
        for item in self.stage_times:
            rows += [("stage_days_median", item.stage, f"{item.median_days:.1f}"),
                     ("stage_days_mean", item.stage, f"{item.mean_days:.1f}")]
        return rows


# Scopes

def platform_scope() -> Scope:
    return Scope("platform")


def trust_scope(session: Session, trust: Organisation) -> Scope:
    departments = session.scalars(select(Organisation.id).where(
        Organisation.parent_id == trust.id, Organisation.kind == "clinical_department")).all()
    return Scope("trust", trust.id, trust.name, (trust.id, *sorted(departments)))


def agency_scope(agency: Organisation) -> Scope:
    return Scope("agency", agency.id, agency.name, (agency.id,))


def _agency_collaboration_ids(scope: Scope) -> Select:
    """Collaborations seeking one of the agency's instruments, or followed by its members."""
    linked = (select(FundingLink.collaboration_id).join(FundingInstrument, FundingLink.instrument_id
                                                        == FundingInstrument.id)
              .where(FundingInstrument.organisation_id == scope.organisation_id))
    followed = (select(Follow.collaboration_id).join(User, Follow.user_id == User.id)
                .where(User.organisation_id == scope.organisation_id, Follow.collaboration_id.is_not(None)))
    return linked.union(followed)


def _agency_need_ids(scope: Scope) -> Select:
    """Needs followed by the agency's members, and the needs of its collaborations."""
    followed = (select(Follow.need_id).join(User, Follow.user_id == User.id)
                .where(User.organisation_id == scope.organisation_id, Follow.need_id.is_not(None)))
    of_collaborations = select(Collaboration.need_id).where(Collaboration.id.in_(_agency_collaboration_ids(scope)))
    return followed.union(of_collaborations)


def need_condition(scope: Scope) -> ColumnElement[bool]:
    if scope.kind == "trust":
        return Profile.organisation_id.in_(scope.organisation_ids)
    if scope.kind == "agency":
        return Profile.id.in_(_agency_need_ids(scope))
    return true()


def collaboration_condition(scope: Scope) -> ColumnElement[bool]:
    if scope.kind == "trust":
        return Collaboration.department_id.in_(scope.organisation_ids)
    if scope.kind == "agency":
        return Collaboration.id.in_(_agency_collaboration_ids(scope))
    return true()


def view_condition(scope: Scope) -> ColumnElement[bool]:
    """Views of the scope's needs' matches, and views by the scope's own staff."""
    if scope.kind == "trust":
        return or_(MatchView.profile_organisation_id.in_(scope.organisation_ids),
                   MatchView.viewer_organisation_id.in_(scope.organisation_ids))
    if scope.kind == "agency":
        return or_(MatchView.viewer_organisation_id == scope.organisation_id,
                   MatchView.profile_id.in_(_agency_need_ids(scope)))
    return true()


# Figures

def month_of(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m")


def _publication_time():
    # Profiles imported or made before publishing set a date have only their creation date.
    return func.coalesce(Profile.published_at, Profile.created_at)


def published_needs(session: Session, scope: Scope, period: Period) -> list[tuple[int, datetime]]:
    """(id, publication time) of the scope's needs published in the period; drafts never count."""
    when = _publication_time()
    query = select(Profile.id, when).where(
        Profile.kind == "need", Profile.status != "draft", need_condition(scope), period.condition(when))
    return [(need_id, moment) for need_id, moment in session.execute(query)]


def by_month(moments) -> dict[str, int]:
    return dict(sorted(Counter(month_of(m) for m in moments).items()))


def view_times(session: Session, scope: Scope, period: Period) -> list[datetime]:
    query = select(MatchView.created_at).where(view_condition(scope), period.condition(MatchView.created_at))
    return list(session.scalars(query))


def meetings_held(session: Session, scope: Scope, period: Period) -> int:
    """Arena meetings marked held with at least one participant from the scope, by slot time."""
    query = (select(Meeting.id).join(ArenaSlot, Meeting.slot_id == ArenaSlot.id)
             .where(Meeting.attendance == "held", period.condition(ArenaSlot.starts_at)))
    if scope.kind != "platform":
        seated = (select(MeetingSeat.meeting_id)
                  .join(ArenaParticipant, MeetingSeat.participant_id == ArenaParticipant.id)
                  .where(ArenaParticipant.organisation_id.in_(scope.organisation_ids)))
        query = query.where(Meeting.id.in_(seated))
    return len(set(session.scalars(query)))


def scope_collaborations(session: Session, scope: Scope, period: Period) -> list[Collaboration]:
    """The scope's collaborations started in the period."""
    query = select(Collaboration).where(collaboration_condition(scope), period.condition(Collaboration.created_at))
    return list(session.scalars(query.order_by(Collaboration.id)).unique())


def stage_history(session: Session, collaborations: list[Collaboration]) -> dict[int, list[tuple[str, datetime]]]:
    """Each collaboration's stages in order, with the time it entered them."""
    history = {c.id: [("proposed", as_utc(c.created_at))] for c in collaborations}
    if not history:
        return history
    events = session.execute(
        select(CollaborationEvent.collaboration_id, CollaborationEvent.to_stage, CollaborationEvent.created_at)
        .where(CollaborationEvent.kind == "stage", CollaborationEvent.collaboration_id.in_(history))
        .order_by(CollaborationEvent.created_at, CollaborationEvent.id))
    for collaboration_id, stage, moment in events:
        history[collaboration_id].append((stage, as_utc(moment)))
    return history


def stages_by_count(collaborations: list[Collaboration]) -> dict[str, int]:
    counts = Counter(c.stage for c in collaborations)
    return {stage: counts.get(stage, 0) for stage in COLLABORATION_STAGES}


def reached(stages: set[str], step: str) -> bool:
    return step in stages or any(later in stages for later in LATER_THAN[step])


def funnel(need_ids: list[int], collaborations: list[Collaboration],
           history: dict[int, list[tuple[str, datetime]]]) -> list[FunnelStep]:
    """Needs at each step: published, with a collaboration, and with one that reached each stage."""
    wanted = set(need_ids)
    stages_of_need: dict[int, set[str]] = defaultdict(set)
    for collaboration in collaborations:
        if collaboration.need_id in wanted:
            stages_of_need[collaboration.need_id] |= {s for s, _ in history[collaboration.id]} | {collaboration.stage}
    counts = [len(wanted), len(stages_of_need)]
    counts += [sum(1 for stages in stages_of_need.values() if reached(stages, step)) for step in FUNNEL_STEPS[2:]]
    return [FunnelStep(key, count, round(100 * count / counts[0], 1) if counts[0] else 0.0)
            for key, count in zip(FUNNEL_STEPS, counts, strict=True)]


def stage_durations(history: dict[int, list[tuple[str, datetime]]], now: datetime) -> dict[str, list[float]]:
    """Days spent in each stage; a stage still open counts up to now."""
    days: dict[str, list[float]] = defaultdict(list)
    for timeline in history.values():
        ends = [moment for _, moment in timeline[1:]] + [now]
        for (stage, start), end in zip(timeline, ends, strict=True):
            if stage not in FINAL_STAGES:
                days[stage].append(max((end - start).total_seconds(), 0.0) / 86400)
    return days


def stage_times(history: dict[int, list[tuple[str, datetime]]], now: datetime) -> list[StageTime]:
    durations = stage_durations(history, now)
    return [StageTime(stage, len(durations[stage]), round(median(durations[stage]), 2),
                      round(mean(durations[stage]), 2))
            for stage in COLLABORATION_STAGES if durations.get(stage)]


def month_range(first: str, last: str) -> list[str]:
    """Every month from first to last ("YYYY-MM"), so charts show quiet months as zero."""
    year, month = map(int, first.split("-"))
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _months(period: Period, *series: dict[str, int]) -> list[str]:
    seen = sorted(m for s in series for m in s)
    first = period.start.strftime("%Y-%m") if period.start else (seen[0] if seen else None)
    last = period.end.strftime("%Y-%m") if period.end else (seen[-1] if seen else None)
    return month_range(first, last) if first and last else []


def indicators(session: Session, scope: Scope, period: Period | None = None,
               now: datetime | None = None) -> Indicators:
    period = period or Period()
    now = as_utc(now or utcnow())
    needs = published_needs(session, scope, period)
    views = view_times(session, scope, period)
    collaborations = scope_collaborations(session, scope, period)
    history = stage_history(session, collaborations)
    needs_by_month, views_by_month = by_month(m for _, m in needs), by_month(views)
    return Indicators(
        scope=scope, period=period, needs_published=len(needs), needs_by_month=needs_by_month,
        views=len(views), views_by_month=views_by_month, meetings_held=meetings_held(session, scope, period),
        collaborations_by_stage=stages_by_count(collaborations),
        funnel=funnel([need_id for need_id, _ in needs], collaborations, history),
        stage_times=stage_times(history, now), months=_months(period, needs_by_month, views_by_month))


def as_csv(figures: Indicators) -> str:
    """One row per figure: scope, indicator, key, value."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["scope", "indicator", "key", "value"])
    scope = _spreadsheet_safe(figures.scope.name or figures.scope.kind)
    writer.writerows((scope, *row) for row in figures.rows())
    return out.getvalue()


def _spreadsheet_safe(text: str) -> str:
    # A name starting like a formula would run as one when the file is opened in a spreadsheet.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
