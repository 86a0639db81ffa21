"""Loading a candidate pool for re-ranking: only the columns ranking needs, in one query,
without building ORM objects for profiles that will not be shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from matchmaker.matching.ranking import Side
from matchmaker.matching.store import as_matrix
from matchmaker.matching.text import profile_text, term_counts
from matchmaker.models import Organisation, Profile, ProfileTag, ProfileVector
from matchmaker.models.accounts import trust_id

PROFILES, ORGANISATIONS, VECTORS = Profile.__table__, Organisation.__table__, ProfileVector.__table__
TAGS = ProfileTag.__table__
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
    query = _POOL_WITH_TEXT if with_terms else _POOL
    rows = session.execute(query, {"ids": list(ids)}).all()
    found = {}
    for row, vectors in zip(rows, _centred_passages(rows, center), strict=True):
        side = Side(kind=row[1], vector=EMPTY, passages=list(row[10]), passage_vectors=vectors,
                    terms=term_counts(profile_text(row[14], row[15]), row[2]) if with_terms else {},
                    clinical_areas=_split(row[12]), care_settings=_split(row[13]), trl=row[3], trl_min=row[4],
                    trl_max=row[5], language=row[2])
        found[row[0]] = Candidate(row[0], side, row[6], trust_id(row[6], row[7], row[8]))
    return found


def _pool_query(with_text: bool):
    """Built once: building the statement took a tenth of the loading."""
    p, o, v = PROFILES.c, ORGANISATIONS.c, VECTORS.c
    columns = [p.id, p.kind, func.coalesce(v.language, p.language), p.trl, p.trl_min, p.trl_max, p.organisation_id,
               o.kind, o.parent_id, v.dim, v.passages, v.passage_vectors, _codes("clinical_area"),
               _codes("care_setting"), *([p.title, p.description] if with_text else [])]
    return (select(*columns).select_from(PROFILES.join(ORGANISATIONS, p.organisation_id == o.id)
                                         .join(VECTORS, v.profile_id == p.id))
            .where(p.id.in_(bindparam("ids", expanding=True))))


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


def _codes(facet: str):
    """A candidate's codes of one facet, comma-separated (codes are slugs from the vocabulary):
    in the pool's own query, where a second query for the tags took a fifth of the loading."""
    t = TAGS.c
    return (select(func.aggregate_strings(t.code, ",")).where(t.profile_id == PROFILES.c.id, t.facet == facet)
            .scalar_subquery())


def _split(codes: str | None) -> list[str]:
    return sorted(codes.split(",")) if codes else []


_POOL, _POOL_WITH_TEXT = _pool_query(False), _pool_query(True)
