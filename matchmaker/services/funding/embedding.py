"""Vectors of funding instruments, stored on the instrument's row (instruments are few, so they
are compared by brute force rather than through the workers' profile index)."""

from __future__ import annotations

import logging

import numpy as np
from sqlalchemy.orm import Session

from embeddings.encoders import Encoder
from matchmaker.matching import ranking
from matchmaker.matching.engine import MatchingEngine
from matchmaker.matching.store import as_matrix
from matchmaker.matching.text import profile_text, split_passages, text_hash
from matchmaker.models import FundingInstrument
from matchmaker.services import context

log = logging.getLogger(__name__)


def _body(instrument: FundingInstrument) -> str:
    # The requirements say what a project must be like, which is as telling as the description.
    return "\n".join(part for part in (instrument.description, instrument.requirements) if part)


def instrument_hash(instrument: FundingInstrument, encoder: Encoder) -> str:
    return text_hash(profile_text(instrument.title, _body(instrument)), encoder.name)


def embed_instrument(session: Session, instrument: FundingInstrument, encoder: Encoder | None = None) -> bool:
    """Store the instrument's vectors unless its text and encoder are unchanged; True if embedded."""
    encoder = encoder or context.of(session).encoder()
    wanted = instrument_hash(instrument, encoder)
    if instrument.text_hash == wanted and instrument.vector is not None:
        return False
    passages = split_passages(instrument.title, _body(instrument))
    # The same "query: " convention as profiles, so instrument and profile vectors compare.
    vector = encoder.encode_queries([profile_text(instrument.title, _body(instrument))])[0]
    passage_vectors = encoder.encode_queries(passages)
    instrument.vector = vector.astype(np.float32).tobytes()
    instrument.passages, instrument.dim = passages, encoder.dim
    instrument.passage_vectors = passage_vectors.astype(np.float32).tobytes()
    instrument.vector_model, instrument.text_hash = encoder.name, wanted
    session.flush()
    log.info("embedded funding instrument %s with %s", instrument.id, encoder.name)
    return True


def instrument_side(session: Session, instrument: FundingInstrument, engine: MatchingEngine) -> ranking.Side:
    """What ranking needs of an instrument, its language's mean taken off as the engine does for
    profiles; re-embeds first when the encoder has changed."""
    embed_instrument(session, instrument, engine.encoder)
    engine.ensure_loaded(session)
    language = instrument.language
    return ranking.Side(
        kind="instrument", vector=engine.center(np.frombuffer(instrument.vector, dtype=np.float32), language),
        passages=list(instrument.passages),
        passage_vectors=engine.center(as_matrix(instrument.passage_vectors, instrument.dim), language),
        terms={}, clinical_areas=list(instrument.clinical_areas or []), trl_min=instrument.trl_min,
        trl_max=instrument.trl_max, language=instrument.language)
