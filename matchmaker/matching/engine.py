"""One matching engine per process: the encoder and an in-memory index per profile kind.

The index holds only public profiles (published, by an approved organisation). It starts from
a snapshot on disk when there is one (no re-embedding, no graph building) or from the vectors
stored in the database, then applies the change log. Before every match it applies the log
entries it has not seen, so a profile saved through any worker or host shows up (or, once
archived, disappears) on the next request everywhere.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import faiss
import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from embeddings.centering import PRIOR_WEIGHT, STRENGTH, Centering, LanguageMeans
from embeddings.encoders import Encoder
from embeddings.index import VectorIndex
from matchmaker.matching import ranking
from matchmaker.matching.calibration import thresholds_for
from matchmaker.matching.language_means import reference_means
from matchmaker.models import IndexChange, Profile, ProfileVector

log = logging.getLogger(__name__)
KINDS = ("need", "capability")
# Change ids from concurrent transactions can become visible out of order; looking back this
# far and skipping what was applied already catches the late ones.
LOOKBACK = 200
# Below this many profiles of a kind, "what matches most of them" says nothing: no passage is
# held back as generic.
MIN_TYPICAL = 20


def vector_language():
    """The language detected when the text was embedded; the profile's tag for older rows."""
    return func.coalesce(ProfileVector.language, Profile.language)


class MatchingEngine:
    def __init__(self, encoder: Encoder, snapshot_dir: Path | None = None, ann_threshold: int = 20_000,
                 thresholds: dict | None = None):
        # One thread per worker: FAISS's OpenMP pool is slower with two on a single query and
        # misbehaves after a fork.
        faiss.omp_set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
        self.encoder = encoder
        self.weights = dict(ranking.WEIGHTS)
        self.max_results = 50
        self.snapshot_dir = snapshot_dir
        self.ann_threshold = ann_threshold
        self.indexes = {kind: VectorIndex(encoder.dim, ann_threshold=ann_threshold) for kind in KINDS}
        self.last_change = 0
        self._applied: set[int] = set()
        # Until the index loads, nothing is taken off: the means come from the stored vectors.
        self.centering = Centering(LanguageMeans())
        self.centering_strength, self.prior_weight = STRENGTH, PRIOR_WEIGHT
        self.thresholds = thresholds_for(encoder.name, thresholds)
        self._typical: dict[str, tuple[int, np.ndarray | None]] = {}
        self._loaded = False
        self._lock = threading.RLock()
        self._helpers: ThreadPoolExecutor | None = None

    def sync(self, session: Session) -> None:
        """Bring the index up to date with the database."""
        with self._lock:
            if not self._loaded:
                self._load(session)
            query = select(IndexChange.id, IndexChange.profile_id).where(
                IndexChange.id > self.last_change - LOOKBACK).order_by(IndexChange.id)
            fresh = [(cid, pid) for cid, pid in session.execute(query) if cid not in self._applied]
            if fresh:
                self._apply(session, {pid for _, pid in fresh})
                self._applied.update(cid for cid, _ in fresh)
                self.last_change = max(self.last_change, max(cid for cid, _ in fresh))
                self._applied = {cid for cid in self._applied if cid > self.last_change - LOOKBACK}

    def ensure_loaded(self, session: Session) -> None:
        with self._lock:
            if not self._loaded:
                self._load(session)

    def run_beside(self, work, *args) -> Future:
        """``work(*args)`` on a helper thread, beside the caller's own (a query's encoding lets go
        of the GIL while it runs, so other work done meanwhile costs no time)."""
        with self._lock:
            if self._helpers is None:  # created on first use, so never before a worker forks
                self._helpers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="matching")
        return self._helpers.submit(work, *args)

    def center(self, vectors: np.ndarray, language) -> np.ndarray:
        """Vectors as the index holds them: with the language's mean taken off. ``language``:
        a code, or a code-to-probability mapping for text whose language is uncertain."""
        return self.centering.apply(vectors, language)

    def strength(self, score: float, from_text: bool = False) -> str | None:
        """The one word for a score, on every page and in the API."""
        return ranking.strength(score, self.thresholds["text" if from_text else "profile"])

    def explain(self, asking: ranking.Side, other: ranking.Side, score: float) -> ranking.Explanation:
        """The one explanation of a pair, whichever page or endpoint shows it."""
        typical = (self.typical_profile(other.kind), self.typical_profile(asking.kind))
        return ranking.explain(asking, other, self.strength(score, asking.from_text), typical)

    def typical_profile(self, kind: str) -> np.ndarray | None:
        """The mean of a kind's indexed vectors: a passage's inner product with it is its average
        cosine with that kind's profiles, how well it matches everyone."""
        if kind not in self.indexes or len(self.indexes[kind]) < MIN_TYPICAL:
            return None
        size, (cached_size, typical) = len(self.indexes[kind]), self._typical.get(kind, (-1, None))
        # Recomputing costs a pass over the vectors, so only when the index has changed enough.
        if abs(size - cached_size) > (0 if size < 200 else size // 20):
            typical = self.indexes[kind].mean_vector()
            self._typical[kind] = (size, typical)
        return typical

    def search(self, kind: str, vector: np.ndarray, k: int, allowed_ids=None) -> list[tuple[int, float]]:
        with self._lock:
            return self.indexes[kind].search(vector, k, allowed_ids)

    def _apply(self, session: Session, profile_ids: set[int]) -> None:
        rows = session.execute(
            select(Profile.id, Profile.kind, Profile.public_clause(), ProfileVector.model, ProfileVector.vector,
                   vector_language())
            .join(Profile.organisation).outerjoin(ProfileVector, ProfileVector.profile_id == Profile.id)
            .where(Profile.id.in_(profile_ids))).all()
        for index in self.indexes.values():
            index.remove(profile_ids)
        for profile_id, kind, is_public, model, blob, language in rows:
            if is_public and model == self.encoder.name:
                vector = np.frombuffer(blob, dtype=np.float32)[None, :]
                self.indexes[kind].add([profile_id], self.center(vector, language))

    def _load(self, session: Session) -> None:
        if not (self.snapshot_dir and self._load_snapshot(session)):
            self._build(session)
            if self.snapshot_dir and sum(map(len, self.indexes.values())) >= self.ann_threshold:
                self._try_save_snapshot()
        self._loaded = True

    def _try_save_snapshot(self) -> None:
        # The index is built and serves; a full disk or read-only folder must not fail the request.
        try:
            self.save_snapshot()
        except OSError as error:
            log.warning("could not write the index snapshot (%s); the next start builds again", error)

    def _build(self, session: Session) -> None:
        """Fill the indexes from stored vectors. The change log position is read first, so
        whatever changes while loading is applied again afterwards."""
        self.last_change = session.scalar(select(func.max(IndexChange.id))) or 0
        stored = self._stored_vectors(session)
        languages = [lang for _, _, kind_languages in stored.values() for lang in kind_languages]
        corpus = LanguageMeans()
        if stored:
            corpus = LanguageMeans.of(np.vstack([v for _, v, _ in stored.values()]), languages)
        self.centering = Centering(reference_means(self.encoder).blend(corpus, self.prior_weight),
                                   self.centering_strength)
        for kind, (ids, vectors, kind_languages) in stored.items():
            self.indexes[kind].add(ids, self.centering.apply_rows(vectors, kind_languages))
        log.info("matching index built from the database: %s", self.sizes())

    def _stored_vectors(self, session: Session) -> dict[str, tuple[list[int], np.ndarray, list[str]]]:
        """Ids, raw vectors and languages of the public profiles, per kind."""
        query = (select(Profile.id, Profile.kind, ProfileVector.vector, vector_language())
                 .join(Profile.organisation).join(ProfileVector, ProfileVector.profile_id == Profile.id)
                 .where(Profile.public_clause(), ProfileVector.model == self.encoder.name))
        stored = {}
        for kind in KINDS:
            rows = session.execute(query.where(Profile.kind == kind)).all()
            if rows:
                vectors = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float32).reshape(len(rows), -1)
                stored[kind] = ([r[0] for r in rows], vectors, [r[3] for r in rows])
        return stored

    def sizes(self) -> dict[str, int]:
        return {kind: len(index) for kind, index in self.indexes.items()}

    def _snapshot_path(self) -> Path:
        return self.snapshot_dir / self.encoder.name.replace(":", "_").replace("/", "_")

    def save_snapshot(self) -> Path:
        """Write the indexes atomically: a half-written snapshot is never read."""
        with self._lock:
            target = self._snapshot_path()
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".staging-"))
            for kind, index in self.indexes.items():
                index.save(staging / kind)
            np.savez(staging / "language_means.npz", **self.centering.means.to_arrays())
            (staging / "state.json").write_text(json.dumps({"last_change": self.last_change,
                                                            "encoder": self.encoder.name}))
            old = target.with_name(target.name + f".old-{os.getpid()}")
            if target.exists():
                target.rename(old)
            staging.rename(target)
            shutil.rmtree(old, ignore_errors=True)
            return target

    def _load_snapshot(self, session: Session) -> bool:
        path = self._snapshot_path()
        try:
            if not (path / "state.json").exists():
                log.warning("no index snapshot in %s; building the index from the database "
                            "(`index rebuild` writes one)", path)
                return False
            last_change = int(json.loads((path / "state.json").read_text())["last_change"])
            indexes = {kind: VectorIndex.load(path / kind, ann_threshold=self.ann_threshold) for kind in KINDS}
            with np.load(path / "language_means.npz") as arrays:
                means = LanguageMeans.from_arrays(arrays)
        # A snapshot is only a cache: whatever is wrong with it (cut short, hand-edited, from an
        # older version), the stored vectors can rebuild it.
        except (OSError, ValueError, RuntimeError, KeyError, TypeError, EOFError) as error:
            log.warning("ignoring unreadable index snapshot %s (%s); rebuilding from the database", path, error)
            return False
        # A snapshot ahead of the change log was made from another database (or before a restore
        # rewound the log); trusting it would skip the changes it claims to have seen.
        newest = session.scalar(select(func.max(IndexChange.id))) or 0
        if last_change > newest:
            log.warning("ignoring index snapshot %s: it has seen change %d, the database only %d; rebuilding",
                        path, last_change, newest)
            return False
        self.indexes, self.last_change = indexes, last_change
        self.centering = Centering(means, self.centering_strength)
        log.info("matching index loaded from snapshot: %s", self.sizes())
        return True
