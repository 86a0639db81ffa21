"""Loading a candidate pool for re-ranking: only the columns ranking needs, in two queries,
without building ORM objects for profiles that will not be shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.matching.ranking import Side
from matchmaker.matching.store import as_matrix
from matchmaker.matching.text import profile_text, term_counts
from matchmaker.models import Organisation, Profile, ProfileTag, ProfileVector
from matchmaker.models.accounts import trust_id

PROFILES, ORGANISATIONS, VECTORS = Profile.__table__, Organisation.__table__, ProfileVector.__table__
EMPTY = np.zeros(0, dtype=np.float32)


@dataclass
class Candidate:
    id: int
    side: Side
    organisation_id: int
    trust_id: int


def load_candidates(session: Session, ids: list[int], with_terms: bool,
                    center: Callable[[np.ndarray, str], np.ndarray]) -> dict[int, Candidate]:
    """``center(vectors, language)``: how the index treats vectors (its language means taken off).
    ``with_terms``: the stemmed terms BM25 needs, counted from the text only when asked (its
    weight is zero in production; it is the evaluation's baseline)."""
    if not ids:
        return {}
    p, o, v = PROFILES.c, ORGANISATIONS.c, VECTORS.c
    text = [p.title, p.description] if with_terms else []
    columns = [p.id, p.kind, func.coalesce(v.language, p.language), p.trl, p.trl_min, p.trl_max, p.organisation_id,
               o.kind, o.parent_id, v.dim, v.passages, v.passage_vectors, *text]
    query = (select(*columns).select_from(PROFILES.join(ORGANISATIONS, p.organisation_id == o.id)
                                          .join(VECTORS, v.profile_id == p.id)).where(p.id.in_(ids)))
    rows = session.execute(query).all()
    tags, passage_vectors = _tags(session, ids), _centred_passages(rows, center)
    found = {}
    for row, vectors in zip(rows, passage_vectors, strict=True):
        areas, settings = tags.get((row[0], "clinical_area"), []), tags.get((row[0], "care_setting"), [])
        side = Side(kind=row[1], vector=EMPTY, passages=list(row[10]), passage_vectors=vectors,
                    terms=term_counts(profile_text(row[12], row[13]), row[2]) if with_terms else {},
                    clinical_areas=areas, care_settings=settings, trl=row[3], trl_min=row[4], trl_max=row[5],
                    language=row[2])
        found[row[0]] = Candidate(row[0], side, row[6], trust_id(row[6], row[7], row[8]))
    return found


def _centred_passages(rows, center: Callable[[np.ndarray, str], np.ndarray]) -> list[np.ndarray]:
    """Each row's passage vectors, centred: one call per language rather than one per candidate,
    which took a sixth of a free-text match's time."""
    matrices = [as_matrix(row[11], row[9]) for row in rows]
    out: list[np.ndarray] = [EMPTY] * len(rows)
    for language in {row[2] for row in rows}:
        at = [i for i, row in enumerate(rows) if row[2] == language]
        centred = center(np.vstack([matrices[i] for i in at]), language)
        bounds = np.cumsum([0] + [len(matrices[i]) for i in at])
        for i, start, end in zip(at, bounds[:-1], bounds[1:], strict=True):
            out[i] = centred[start:end]
    return out


def _tags(session: Session, ids: list[int]) -> dict[tuple[int, str], list[str]]:
    query = select(ProfileTag.profile_id, ProfileTag.facet, ProfileTag.code).where(
        ProfileTag.profile_id.in_(ids), ProfileTag.facet.in_(("clinical_area", "care_setting")))
    tags: dict[tuple[int, str], list[str]] = {}
    for profile_id, facet, code in session.execute(query):
        tags.setdefault((profile_id, facet), []).append(code)
    return tags
