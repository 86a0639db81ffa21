"""Scoring candidates and explaining each match.

A candidate's score adds weighted signals:
- dense: cosine of the whole-profile vectors (cross-lingual);
- passages: the best-matching pair of passages, one from each side, so that a long text whose
  one strong part matches is not drowned by the rest;
- lexical: BM25 over stemmed terms, with document frequencies from the candidate pool;
- structure: shared clinical areas and care settings, TRL inside the wanted range.

The weights come from the labelled development set (scripts/evaluate_matching.py): dense plus
a quarter of the best passage pair was best; every BM25 weight tried lowered nDCG@10 there,
overall and on same-language pairs, so lexical stays at zero and serves as the baseline.
Structure cannot be tuned on that set (its capabilities carry no structured fields); its small
weight only orders otherwise close candidates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

WEIGHTS = {"dense": 1.0, "passages": 0.25, "lexical": 0.0, "structure": 0.05}
# Candidates re-ranked per query: dense retrieval's top 100 hold the final top 10 in practice,
# and each extra candidate costs a row read and a passage comparison.
POOL = 100


@dataclass
class Side:
    """What ranking needs to know of one profile (or of free text)."""

    kind: str
    vector: np.ndarray
    passages: list[str]
    passage_vectors: np.ndarray
    terms: dict[str, int]
    clinical_areas: list[str] = field(default_factory=list)
    care_settings: list[str] = field(default_factory=list)
    trl: int | None = None
    trl_min: int | None = None
    trl_max: int | None = None
    language: str = "en"
    # Typed into the search box rather than a stored profile: short texts score lower, so
    # their strength words have a calibration of their own.
    from_text: bool = False


@dataclass
class Explanation:
    passage_pairs: list[tuple[str, str]]
    shared_areas: list[str]
    shared_settings: list[str]
    mismatches: list[tuple[str, dict]]
    strength: str | None


def bm25(query: dict[str, int], documents: list[dict[str, int]], k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    if not documents or not query:
        return np.zeros(len(documents))
    lengths = np.array([sum(doc.values()) for doc in documents], dtype=float)
    average = max(lengths.mean(), 1.0)
    scores = np.zeros(len(documents))
    for term in query:
        df = sum(1 for doc in documents if term in doc)
        if df == 0:
            continue
        idf = math.log(1 + (len(documents) - df + 0.5) / (df + 0.5))
        tf = np.array([doc.get(term, 0) for doc in documents], dtype=float)
        scores += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths / average))
    return scores


def passage_score(asking: np.ndarray, other: np.ndarray) -> float:
    if len(asking) == 0 or len(other) == 0:
        return 0.0
    return float((asking @ other.T).max())


def structure_score(asking: Side, other: Side) -> float:
    parts = [_overlap(asking.clinical_areas, other.clinical_areas), _overlap(asking.care_settings, other.care_settings)]
    need, capability = (asking, other) if asking.kind == "need" else (other, asking)
    if need.kind == "need" and capability.kind == "capability" and capability.trl and need.trl_min:
        high = need.trl_max or 9
        gap = need.trl_min - capability.trl if capability.trl < need.trl_min else 0
        parts.append(1.0 if need.trl_min <= capability.trl <= high else -min(1.0, gap / 3) if gap else 0.0)
    known = [p for p in parts if p is not None]
    return sum(known) / len(known) if known else 0.0


def _overlap(first: list[str], second: list[str]) -> float | None:
    if not first or not second:
        return None
    return 1.0 if set(first) & set(second) else -0.5


def score_candidates(asking: Side, candidates: list[Side], dense: list[float],
                     weights: dict[str, float] = WEIGHTS) -> np.ndarray:
    lexical = np.zeros(len(candidates))
    if weights["lexical"]:
        lexical = bm25(asking.terms, [c.terms for c in candidates])
        lexical = lexical / lexical.max() if lexical.max() > 0 else lexical
    total = np.zeros(len(candidates))
    for i, candidate in enumerate(candidates):
        total[i] = (weights["dense"] * dense[i]
                    + weights["passages"] * passage_score(asking.passage_vectors, candidate.passage_vectors)
                    + weights["lexical"] * lexical[i]
                    + weights["structure"] * structure_score(asking, candidate))
    return total


def explain(asking: Side, other: Side, strength: str | None,
            typical: tuple[np.ndarray | None, np.ndarray | None] = (None, None)) -> Explanation:
    """``strength``: the calibrated word for the score (see ``calibration``); ``typical``: what
    a typical profile of the other side and of the asking side looks like (see below)."""
    return Explanation(
        passage_pairs=best_passage_pairs(asking, other, typical=typical),
        shared_areas=sorted(set(asking.clinical_areas) & set(other.clinical_areas)),
        shared_settings=sorted(set(asking.care_settings) & set(other.care_settings)),
        mismatches=mismatches(asking, other),
        strength=strength,
    )


# A pair of passages is shown as the reason only when the two are this much closer to each other
# than each is, on average, to the profiles of the other side (CSLS-style). A sentence that
# matches most profiles ("we are looking for a hospital to pilot with") is no reason for a pair.
MIN_SPECIFICITY = 0.10


def best_passage_pairs(asking: Side, other: Side, count: int = 2,
                       typical: tuple[np.ndarray | None, np.ndarray | None] = (None, None)) -> list[tuple[str, str]]:
    """The passages of each side that match each other more than they match everyone, each
    passage used once. ``typical``: the mean vectors of the other side's and of the asking
    side's kind; without them, the plainly best pairs."""
    if len(asking.passage_vectors) == 0 or len(other.passage_vectors) == 0:
        return []
    similarity = asking.passage_vectors @ other.passage_vectors.T
    specific = similarity - 0.5 * (_average_match(asking.passage_vectors, typical[0])[:, None]
                                   + _average_match(other.passage_vectors, typical[1])[None, :])
    floor = -np.inf if typical[0] is None and typical[1] is None else MIN_SPECIFICITY
    pairs, used_a, used_b = [], set(), set()
    for flat in np.argsort(-specific, axis=None):
        a, b = divmod(int(flat), similarity.shape[1])
        if specific[a, b] < floor:
            break
        if a in used_a or b in used_b:
            continue
        pairs.append((asking.passages[a], other.passages[b]))
        used_a.add(a)
        used_b.add(b)
        if len(pairs) == count:
            break
    return pairs


def _average_match(passage_vectors: np.ndarray, typical: np.ndarray | None) -> np.ndarray:
    """Each passage's average cosine with the profiles whose mean ``typical`` is."""
    if typical is None:
        return np.zeros(len(passage_vectors))
    return passage_vectors @ typical


def mismatches(asking: Side, other: Side) -> list[tuple[str, dict]]:
    found = []
    need, capability = (asking, other) if asking.kind == "need" else (other, asking)
    if need.kind == "need" and capability.kind == "capability" and capability.trl and need.trl_min:
        high = need.trl_max or 9
        if not need.trl_min <= capability.trl <= high:
            found.append(("trl", {"trl": capability.trl, "low": need.trl_min, "high": high}))
    if asking.care_settings and other.care_settings and not set(asking.care_settings) & set(other.care_settings):
        found.append(("care_setting", {"wanted": asking.care_settings, "offered": other.care_settings}))
    if asking.clinical_areas and other.clinical_areas and not set(asking.clinical_areas) & set(other.clinical_areas):
        found.append(("clinical_area", {"wanted": asking.clinical_areas, "offered": other.clinical_areas}))
    return found


def strength(score: float, thresholds: dict[str, float]) -> str | None:
    """The word for a score: the strongest whose calibrated threshold it reaches, or None."""
    for word in ("strong", "good", "possible"):
        if score >= thresholds[word]:
            return word
    return None
