"""Matches for a profile, similar needs at other trusts, and matches for free text.

Every list of matches, on any page or in the API, is ranked and labelled here: vectors with
their language's mean taken off (so a Norwegian need finds the English product), one score,
and one calibrated word for its strength. A list holds the matches that earn a word, and says
how many there are; when none does, the few closest profiles follow, without a word.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.matching import ranking
from matchmaker.matching.candidates import Candidate, load_candidates
from matchmaker.matching.engine import MatchingEngine
from matchmaker.matching.store import as_matrix, embed_profiles
from matchmaker.matching.text import profile_text, split_passages, term_counts
from matchmaker.models import Profile, ProfileVector, User
from matchmaker.services import permissions
from matchmaker.services.browse import ProfileFilters, filtered_ids
from matchmaker.services.language import language_weights, most_likely

OTHER_KIND = {"need": "capability", "capability": "need"}


@dataclass
class Match:
    profile: Profile
    score: float
    explanation: ranking.Explanation


@dataclass
class MatchList:
    """One page of matches and how many there are in all. Iterates over the page's matches.
    ``closest``: nothing earned a strength word, so these are only the nearest profiles."""

    items: list[Match]
    total: int
    offset: int = 0
    closest: bool = False
    per_page: int = 10

    @property
    def page(self) -> int:
        return self.offset // self.per_page + 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index]


# When nothing earns a strength word, this many of the closest profiles are still shown.
CLOSEST = 3


def matches_for_profile(session: Session, engine: MatchingEngine, viewer: User | None, profile: Profile,
                        filters: ProfileFilters, limit: int = 10, offset: int = 0) -> MatchList:
    """Capabilities for a need, or needs for a capability."""
    permissions.ensure_can_view_profile(viewer, profile)
    asking = profile_side(session, engine, profile)
    return _rank(session, engine, viewer, asking, OTHER_KIND[profile.kind], filters, (limit, offset))


def similar_needs(session: Session, engine: MatchingEngine, viewer: User | None, need: Profile,
                  filters: ProfileFilters, limit: int = 10, offset: int = 0) -> MatchList:
    """Needs like this one at other trusts, so they can join forces instead of repeating work."""
    permissions.ensure_can_view_profile(viewer, need)
    organisation = need.organisation
    own_trust = organisation.trust_id
    asking = profile_side(session, engine, need)
    return _rank(session, engine, viewer, asking, "need", filters, (limit, offset),
                 lambda c: c.id != need.id and c.trust_id != own_trust)


def match_text(session: Session, engine: MatchingEngine, viewer: User | None, text: str, kind: str,
               filters: ProfileFilters, limit: int = 10, offset: int = 0) -> MatchList:
    """Profiles of ``kind`` for a description typed into the search box."""
    asking = text_side(session, engine, text, OTHER_KIND[kind])
    return _rank(session, engine, viewer, asking, kind, filters, (limit, offset))


def matches_among(session: Session, engine: MatchingEngine, viewer: User | None, profile: Profile,
                  candidate_ids: list[int], limit: int = 10) -> MatchList:
    """Matches for a profile among the given profiles only (e.g. an arena's participants)."""
    if not candidate_ids:
        return MatchList([], 0)
    asking = profile_side(session, engine, profile)
    return _rank(session, engine, viewer, asking, OTHER_KIND[profile.kind], None, (limit, 0),
                 allowed=list(candidate_ids))


def pair_match(session: Session, engine: MatchingEngine, first: Profile, second: Profile) -> Match | None:
    """How well two given profiles match (a need and a capability), or None for two of a kind."""
    if first.kind == second.kind:
        return None
    asking, other = profile_side(session, engine, first), profile_side(session, engine, second)
    dense = float(np.dot(asking.vector, other.vector))
    score = float(ranking.score_candidates(asking, [other], [dense], engine.weights)[0])
    return Match(second, score, engine.explain(asking, other, score))


def profile_side(session: Session, engine: MatchingEngine, profile: Profile) -> ranking.Side:
    """A profile as ranking sees it: stored vectors, its language's mean taken off."""
    embed_profiles(session, [profile], engine.encoder)  # no-op when stored vectors are current
    engine.sync(session)
    stored = session.get(ProfileVector, profile.id)
    language = stored.language or profile.language
    return ranking.Side(
        kind=profile.kind, vector=engine.center(np.frombuffer(stored.vector, dtype=np.float32), language),
        passages=list(stored.passages),
        passage_vectors=engine.center(as_matrix(stored.passage_vectors, stored.dim), language),
        terms=_terms(engine, profile_text(profile.title, profile.description), language),
        clinical_areas=profile.clinical_areas, care_settings=profile.care_settings,
        trl=getattr(profile, "trl", None), trl_min=getattr(profile, "trl_min", None),
        trl_max=getattr(profile, "trl_max", None), language=language)


def text_side(session: Session, engine: MatchingEngine, text: str, kind: str) -> ranking.Side:
    """Typed text: a short query's language is often uncertain, so it gets the mix of the
    languages' means in proportion to how likely each is."""
    text = " ".join(text.split())
    passages = split_passages("", text)
    # A search-box text is usually one passage: its vector is the text's, no second encoding.
    one_passage = passages == [text]
    # The language and the index sync, a sixth of a free-text match, take place while the query
    # is encoded. The session is handed to the helper and back, never used by both at once.
    prepared = engine.run_beside(_prepare_text_match, session, engine, text)
    try:
        vectors = engine.encoder.encode_queries([text] if one_passage else [text, *passages])
    finally:
        weights = prepared.result()
    vector, passage_vectors = vectors[0], vectors if one_passage else vectors[1:]
    language = most_likely(weights)
    return ranking.Side(kind=kind, vector=engine.center(vector, weights), passages=passages,
                        passage_vectors=engine.center(passage_vectors, weights),
                        terms=_terms(engine, text, language), language=language, from_text=True)


def _prepare_text_match(session: Session, engine: MatchingEngine, text: str) -> dict[str, float]:
    weights = language_weights(text)
    engine.sync(session)
    return weights


def _terms(engine: MatchingEngine, text: str, language: str) -> dict[str, int]:
    """BM25's stemmed terms, counted only when the lexical signal has a weight (the evaluation's
    baseline; zero in production)."""
    return term_counts(text, language) if engine.weights["lexical"] else {}


def ranked_ids(session: Session, engine: MatchingEngine, profile: Profile | None = None,
               text: str | None = None, kind: str = "capability") -> list[tuple[int, float]]:
    """Every candidate in the pool for a profile (or for typed text looking for ``kind``), best
    first, labelled or not: for evaluation and calibration, which must see the pages' ranking."""
    if profile is not None:
        asking, kind = profile_side(session, engine, profile), OTHER_KIND[profile.kind]
    else:
        asking = text_side(session, engine, text, OTHER_KIND[kind])
    ranked = _ranked(session, engine, None, asking, kind, None, lambda c: True, None)
    return [(candidate.id, score) for candidate, score in ranked]


def _ranked(session, engine, viewer, asking, kind, filters, keep, allowed) -> list[tuple[Candidate, float]]:
    # Building ``asking`` synced the index (profile_side, text_side).
    if filters is not None and not filters.is_empty:
        allowed = filtered_ids(session, viewer, kind, filters)
    hits = engine.search(kind, asking.vector, ranking.POOL, allowed)
    pool = load_candidates(session, [pid for pid, _ in hits], bool(engine.weights["lexical"]), engine.center)
    kept = [(pool[pid], score) for pid, score in hits if pid in pool and keep(pool[pid])]
    if not kept:
        return []
    scores = ranking.score_candidates(asking, [c.side for c, _ in kept], [score for _, score in kept], engine.weights)
    return [(kept[i][0], float(scores[i])) for i in np.argsort(-scores, kind="stable")]


def _rank(session, engine, viewer, asking, kind, filters, window, keep=lambda c: True, allowed=None) -> MatchList:
    limit, offset = max(1, min(window[0], engine.max_results)), max(0, window[1])
    ranked = _ranked(session, engine, viewer, asking, kind, filters, keep, allowed)
    labelled = [(c, score) for c, score in ranked if engine.strength(score, asking.from_text) is not None]
    window_rows = labelled[offset:offset + limit] if labelled else ranked[:min(CLOSEST, limit)]
    shown = {p.id: p for p in session.scalars(select(Profile).where(Profile.id.in_([c.id for c, _ in window_rows])))}
    items = [Match(shown[c.id], score, engine.explain(asking, c.side, score)) for c, score in window_rows]
    return MatchList(items, len(labelled), offset, closest=bool(ranked) and not labelled, per_page=limit)
