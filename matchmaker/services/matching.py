"""Matches for a profile, similar needs at other trusts, and matches for free text."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.matching import ranking
from matchmaker.matching.candidates import load_candidates, trust_id
from matchmaker.matching.engine import MatchingEngine
from matchmaker.matching.store import as_matrix, embed_profiles
from matchmaker.matching.text import split_passages, term_counts
from matchmaker.models import Profile, ProfileVector, User
from matchmaker.services import permissions
from matchmaker.services.browse import ProfileFilters, filtered_ids
from matchmaker.services.language import guess_language

OTHER_KIND = {"need": "capability", "capability": "need"}


@dataclass
class Match:
    profile: Profile
    score: float
    explanation: ranking.Explanation


def matches_for_profile(session: Session, engine: MatchingEngine, viewer: User | None, profile: Profile,
                        filters: ProfileFilters, limit: int = 10) -> list[Match]:
    """Capabilities for a need, or needs for a capability."""
    permissions.ensure_can_view_profile(viewer, profile)
    asking = profile_side(session, engine, profile)
    return _rank(session, engine, viewer, asking, OTHER_KIND[profile.kind], filters, limit, lambda p: True)


def similar_needs(session: Session, engine: MatchingEngine, viewer: User | None, need: Profile,
                  filters: ProfileFilters, limit: int = 10) -> list[Match]:
    """Needs like this one at other trusts, so they can join forces instead of repeating work."""
    permissions.ensure_can_view_profile(viewer, need)
    organisation = need.organisation
    own_trust = trust_id(organisation.id, organisation.kind, organisation.parent_id)
    asking = profile_side(session, engine, need)
    return _rank(session, engine, viewer, asking, "need", filters, limit,
                 lambda c: c.id != need.id and c.trust_id != own_trust)


def match_text(session: Session, engine: MatchingEngine, viewer: User | None, text: str, kind: str,
               filters: ProfileFilters, limit: int = 10) -> list[Match]:
    """Profiles of ``kind`` for a description typed into the search box."""
    asking = text_side(engine, text, OTHER_KIND[kind])
    return _rank(session, engine, viewer, asking, kind, filters, limit, lambda p: True)


def matches_among(session: Session, engine: MatchingEngine, viewer: User | None, profile: Profile,
                  candidate_ids: list[int], limit: int = 10) -> list[Match]:
    """Matches for a profile among the given profiles only (e.g. an arena's participants)."""
    if not candidate_ids:
        return []
    asking = profile_side(session, engine, profile)
    return _rank(session, engine, viewer, asking, OTHER_KIND[profile.kind], None, limit, lambda p: True,
                 allowed=list(candidate_ids))


def pair_match(session: Session, engine: MatchingEngine, first: Profile, second: Profile) -> Match | None:
    """How well two given profiles match (a need and a capability), or None for two of a kind."""
    if first.kind == second.kind:
        return None
    asking, other = profile_side(session, engine, first), profile_side(session, engine, second)
    dense = float(np.dot(asking.vector, other.vector))
    score = float(ranking.score_candidates(asking, [other], [dense], engine.weights)[0])
    return Match(second, score, ranking.explain(asking, other, float(ranking.standing(np.array([score]))[0])))


def profile_side(session: Session, engine: MatchingEngine, profile: Profile) -> ranking.Side:
    embed_profiles(session, [profile], engine.encoder)  # no-op when stored vectors are current
    stored = session.get(ProfileVector, profile.id)
    return _side(profile, stored)


def _side(profile: Profile, stored: ProfileVector) -> ranking.Side:
    return ranking.Side(
        kind=profile.kind, vector=np.frombuffer(stored.vector, dtype=np.float32),
        passages=list(stored.passages), passage_vectors=as_matrix(stored.passage_vectors, stored.dim),
        terms=stored.terms, clinical_areas=profile.clinical_areas, care_settings=profile.care_settings,
        trl=getattr(profile, "trl", None), trl_min=getattr(profile, "trl_min", None),
        trl_max=getattr(profile, "trl_max", None), language=profile.language)


def text_side(engine: MatchingEngine, text: str, kind: str) -> ranking.Side:
    text = " ".join(text.split())
    language = guess_language(text)
    passages = split_passages("", text)
    encoder = engine.encoder
    vector = encoder.encode_queries([text])[0]
    # A search-box text is usually one passage: its vector is the text's, no second encoding.
    passage_vectors = vector[None, :] if passages == [text] else encoder.encode_queries(passages)
    return ranking.Side(kind=kind, vector=vector, passages=passages, passage_vectors=passage_vectors,
                        terms=term_counts(text, language) if engine.weights["lexical"] else {}, language=language)


def _rank(session, engine, viewer, asking, kind, filters, limit, keep, allowed=None) -> list[Match]:
    engine.sync(session)
    limit = max(1, min(limit, engine.max_results))
    if filters is not None and not filters.is_empty:
        allowed = filtered_ids(session, viewer, kind, filters)
    hits = engine.search(kind, asking.vector, ranking.POOL, allowed)
    pool = load_candidates(session, [pid for pid, _ in hits], with_terms=bool(engine.weights["lexical"]))
    kept = [(pool[pid], score) for pid, score in hits if pid in pool and keep(pool[pid])]
    if not kept:
        return []
    sides = [candidate.side for candidate, _ in kept]
    scores = ranking.score_candidates(asking, sides, [score for _, score in kept], engine.weights)
    order = np.argsort(-scores, kind="stable")[:limit]
    standing = ranking.standing(scores)
    shown = {p.id: p for p in session.scalars(select(Profile).where(Profile.id.in_([kept[i][0].id for i in order])))}
    return [Match(shown[kept[i][0].id], float(scores[i]), ranking.explain(asking, sides[i], float(standing[i])))
            for i in order]
