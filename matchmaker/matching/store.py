"""Embedding profiles into the database and logging changes for the workers' indexes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from embeddings.encoders import Encoder
from matchmaker.matching.text import profile_text, split_passages, text_hash
from matchmaker.models import IndexChange, Profile, ProfileVector
from matchmaker.services.language import guess_language

log = logging.getLogger(__name__)
BATCH = 32


def record_changes(session: Session, profile_ids: Iterable[int]) -> None:
    """Tell every worker that these profiles changed (text, status or visibility)."""
    session.add_all(IndexChange(profile_id=pid) for pid in dict.fromkeys(profile_ids))
    session.flush()


def stale_profiles(session: Session, profiles: list[Profile], encoder: Encoder) -> list[Profile]:
    """Profiles whose stored vectors are missing or were made from other text or another model."""
    if not profiles:
        return []
    stored = dict(session.execute(select(ProfileVector.profile_id, ProfileVector.text_hash)
                                  .where(ProfileVector.profile_id.in_([p.id for p in profiles]))).all())
    return [p for p in profiles if stored.get(p.id) != _hash(p, encoder)]


def _hash(profile: Profile, encoder: Encoder) -> str:
    return text_hash(profile_text(profile.title, profile.description), encoder.name)


def embed_profiles(session: Session, profiles: list[Profile], encoder: Encoder,
                   progress: Callable[[int], None] = lambda n: None) -> int:
    """Store vectors for the profiles that need them; returns how many were embedded."""
    todo = stale_profiles(session, profiles, encoder)
    progress(len(profiles) - len(todo))
    for start in range(0, len(todo), BATCH):
        batch = todo[start:start + BATCH]
        _embed_batch(session, batch, encoder)
        progress(len(batch))
    if todo:
        session.flush()
        log.info("embedded %d profiles with %s", len(todo), encoder.name)
    return len(todo)


def _embed_batch(session: Session, profiles: list[Profile], encoder: Encoder) -> None:
    texts = [profile_text(p.title, p.description) for p in profiles]
    passages = [split_passages(p.title, p.description) for p in profiles]
    # Profiles are compared with profiles (a symmetric task), for which E5 wants the "query: "
    # prefix on both sides; on the labelled set this beat query/passage and passage/passage.
    documents = encoder.encode_queries(texts)
    flat = encoder.encode_queries([passage for group in passages for passage in group])
    offset = 0
    for profile, text, document, group in zip(profiles, texts, documents, passages, strict=True):
        passage_vectors = flat[offset:offset + len(group)]
        offset += len(group)
        session.merge(ProfileVector(
            profile_id=profile.id, model=encoder.name, text_hash=_hash(profile, encoder), dim=encoder.dim,
            vector=document.astype(np.float32).tobytes(), passages=group,
            passage_vectors=passage_vectors.astype(np.float32).tobytes(),
            language=guess_language(text, profile.language)))


def refresh_profiles(session: Session, profiles: list[Profile], encoder: Encoder,
                     progress: Callable[[int], None] = lambda n: None) -> None:
    """After profiles were saved: embed what changed and tell the workers."""
    session.flush()
    embed_profiles(session, profiles, encoder, progress)
    record_changes(session, [p.id for p in profiles])


def as_matrix(blob: bytes, dim: int) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32).reshape(-1, dim)
