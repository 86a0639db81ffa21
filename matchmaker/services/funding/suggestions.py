"""Instruments that fit a need or a collaboration, with the reason and the conditions checked.

Instruments are few, so every open one is scored by brute force: whole-text cosine plus a
quarter of the best passage pair (as profiles are matched), plus a small bonus for a shared
clinical area and for funding what the need or collaboration is about."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from embeddings.encoders import normalise
from matchmaker.matching import ranking
from matchmaker.matching.engine import MatchingEngine
from matchmaker.messages import _
from matchmaker.models import Collaboration, FundingInstrument, Profile, User
from matchmaker.services import permissions
from matchmaker.services.collaborations import operations
from matchmaker.services.errors import PermissionDenied
from matchmaker.services.funding import instruments
from matchmaker.services.funding.conditions import Check, Subject, check_all, collaboration_subject, need_subject
from matchmaker.services.funding.embedding import instrument_side
from matchmaker.services.matching import profile_side

BONUS = 0.05
LIMIT = 10


@dataclass
class Suggestion:
    instrument: FundingInstrument
    score: float
    passage_pairs: list[tuple[str, str]]
    checks: list[Check]


def fit_score(asking: ranking.Side, other: ranking.Side, bonuses: int, dense: float | None = None) -> float:
    """``dense``: the whole-text cosine when already known (from the index); ``bonuses``: how many
    of shared clinical area and fitting purpose hold."""
    if dense is None:
        dense = float(np.dot(asking.vector, other.vector))
    passages = ranking.passage_score(asking.passage_vectors, other.passage_vectors)
    return dense + ranking.WEIGHTS["passages"] * passages + BONUS * bonuses


def for_need(session: Session, engine: MatchingEngine, viewer: User, need: Profile,
             limit: int = LIMIT) -> list[Suggestion]:
    """The caller records that the viewer saw them (``matchmaker.match_views``)."""
    permissions.ensure_can_view_profile(viewer, need)
    return _rank(session, engine, profile_side(session, engine, need), need_subject(session, need), limit)


def for_collaboration(session: Session, engine: MatchingEngine, viewer: User, collaboration: Collaboration,
                      limit: int = LIMIT) -> list[Suggestion]:
    operations.get_visible(session, viewer, collaboration.id)
    if not operations.is_party(viewer, collaboration):
        raise PermissionDenied(_("Only the parties of a collaboration see funding suggestions for it."))
    asking = collaboration_side(session, engine, collaboration)
    # Not counted as a match view: the list is a side panel of every visit to the collaboration page.
    return _rank(session, engine, asking, collaboration_subject(session, collaboration), limit)


def _rank(session: Session, engine: MatchingEngine, asking: ranking.Side, subject: Subject,
          limit: int) -> list[Suggestion]:
    scored = []
    for instrument in instruments.published(session, instruments.InstrumentFilters(open_only=True)):
        side = instrument_side(session, instrument, engine)
        areas_shared = bool(set(subject.clinical_areas) & set(instrument.clinical_areas or []))
        purpose_fits = bool(set(subject.purposes) & set(instrument.purposes or []))
        scored.append((fit_score(asking, side, areas_shared + purpose_fits), instrument, side))
    scored.sort(key=lambda item: -item[0])
    typical = (None, engine.typical_profile("need"))
    return [Suggestion(instrument, score, ranking.best_passage_pairs(asking, side, 1, typical),
                       check_all(instrument, subject)) for score, instrument, side in scored[:limit]]


def collaboration_side(session: Session, engine: MatchingEngine, collaboration: Collaboration) -> ranking.Side:
    """The need and the product together, from their stored vectors. Nothing is encoded: the
    encoder costs up to seconds per text on a busy worker, too much for every page view."""
    parts = [profile_side(session, engine, collaboration.need)]
    if collaboration.capability is not None:
        parts.append(profile_side(session, engine, collaboration.capability))
    need = collaboration.need
    return ranking.Side(kind="collaboration", vector=normalise(sum(p.vector for p in parts)),
                        passages=[passage for p in parts for passage in p.passages],
                        passage_vectors=np.vstack([p.passage_vectors for p in parts]), terms={},
                        clinical_areas=need.clinical_areas, care_settings=need.care_settings,
                        language=need.language)
