"""For a funding agency: the published needs and the collaborations that fit each of its
published instruments, with the instrument's conditions checked against each."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.matching import ranking
from matchmaker.matching.candidates import load_candidates
from matchmaker.matching.engine import MatchingEngine
from matchmaker.messages import _
from matchmaker.models import Collaboration, FundingInstrument, Profile, User
from matchmaker.services.collaborations.operations import listed_collaborations
from matchmaker.services.errors import PermissionDenied
from matchmaker.services.funding import instruments, links
from matchmaker.services.funding.conditions import Check, check_all, collaboration_subject, need_subject
from matchmaker.services.funding.embedding import instrument_side
from matchmaker.services.funding.suggestions import fit_score
from matchmaker.services.matching import profile_side

NEEDS_PER_INSTRUMENT = 5
LISTED_PER_INSTRUMENT = 5


@dataclass
class Fit:
    need: Profile
    collaboration: Collaboration | None
    score: float
    passage_pairs: list[tuple[str, str]]
    checks: list[Check]
    linked: bool = False


@dataclass
class InstrumentFits:
    instrument: FundingInstrument
    needs: list[Fit] = field(default_factory=list)
    collaborations: list[Fit] = field(default_factory=list)


def for_agency(session: Session, engine: MatchingEngine, user: User) -> list[InstrumentFits]:
    if not instruments.is_agency_member(user):
        raise PermissionDenied(_("Only members of funding agencies see what fits their instruments."))
    own = [i for i in instruments.of_agency(session, user.organisation_id) if i.status == "published"]
    engine.sync(session)
    return [InstrumentFits(i, fitting_needs(session, engine, i), fitting_collaborations(session, engine, i))
            for i in own]


def fitting_needs(session: Session, engine: MatchingEngine, instrument: FundingInstrument,
                  limit: int = NEEDS_PER_INSTRUMENT) -> list[Fit]:
    """Published needs nearest the instrument text in the matching index, re-scored as suggestions are."""
    side = instrument_side(session, instrument, engine)
    hits = engine.search("need", side.vector, ranking.POOL)
    pool = load_candidates(session, [pid for pid, _score in hits], False, engine.center)
    scored = []
    for need_id, dense in hits:
        if need_id in pool:
            candidate = pool[need_id].side
            bonus = bool(set(candidate.clinical_areas) & set(instrument.clinical_areas or []))
            scored.append((fit_score(side, candidate, bonus, dense=dense), need_id, candidate))
    scored.sort(key=lambda item: -item[0])
    typical = (engine.typical_profile("need"), None)
    needs = {p.id: p for p in session.scalars(select(Profile).where(Profile.id.in_([s[1] for s in scored[:limit]])))}
    return [Fit(needs[need_id], None, score, ranking.best_passage_pairs(side, candidate, 1, typical),
                check_all(instrument, need_subject(session, needs[need_id])))
            for score, need_id, candidate in scored[:limit] if need_id in needs]


def fitting_collaborations(session: Session, engine: MatchingEngine, instrument: FundingInstrument,
                           limit: int = LISTED_PER_INSTRUMENT) -> list[Fit]:
    """Every collaboration that seeks the instrument, then the best-fitting publicly listed ones
    (by their need's text: listed collaborations may be many, and their needs are embedded)."""
    side = instrument_side(session, instrument, engine)
    linked = links.linked_collaborations(session, instrument)
    fits = [_collaboration_fit(session, engine, instrument, side, c, linked=True) for c in linked]
    listed = [c for c in listed_collaborations(session) if c not in linked and c.need.is_public]
    ranked = sorted((_collaboration_fit(session, engine, instrument, side, c) for c in listed),
                    key=lambda fit: -fit.score)
    return fits + ranked[:limit]


def _collaboration_fit(session: Session, engine: MatchingEngine, instrument: FundingInstrument,
                       side: ranking.Side, collaboration: Collaboration, linked: bool = False) -> Fit:
    need_side = profile_side(session, engine, collaboration.need)
    bonus = bool(set(need_side.clinical_areas) & set(instrument.clinical_areas or []))
    return Fit(collaboration.need, collaboration, fit_score(side, need_side, bonus),
               ranking.best_passage_pairs(side, need_side, 1,
                                          (engine.typical_profile("need"), None)),
               check_all(instrument, collaboration_subject(session, collaboration)), linked=linked)
