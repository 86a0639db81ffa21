"""Evaluate the production matching on labelled needs and capabilities.

    python scripts/evaluate_matching.py --needs NEEDS.jsonl --capabilities CAPS.jsonl \
        [--qrels QRELS.tsv] [--translations NEEDS_TRANSLATED.jsonl] [--run-out RUN.tsv] \
        [--method final|dense|bm25|all] [--encoder SPEC] [--calibrate] [--json]

Loads both files into a fresh temporary database through the real import path, ranks every
capability for each need with the production matching code, writes a TREC run file
(need_id Q0 capability_id rank score run_name) and, given qrels (need_id, capability_id,
grade; header line), prints nDCG@10, Recall@10 and MRR overall and per need language. "dense" is
plain dense retrieval (no language means taken off), the baseline the pipeline must beat.
Given translations of some needs (same ids, another language), it reports their nDCG@10 beside
the originals' and how much of each top 10 the original and its translation share.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# Ranking weights and how much of each language's mean is taken off (None: production's).
METHODS = {
    "final": (None, None),
    "dense": ({"dense": 1.0, "passages": 0.0, "lexical": 0.0, "structure": 0.0}, 0.0),
    "bm25": ({"dense": 0.0, "passages": 0.0, "lexical": 1.0, "structure": 0.0}, 0.0),
}
DEPTH = 100


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


TRANSLATED = "~translated"


def as_import_records(needs: list[dict], capabilities: list[dict], translations: list[dict] = ()) -> list[str]:
    """The evaluation files in the import format: a kind on each line, titles for capabilities.
    Translations come in as drafts, so they are ranked like the needs but change nothing the
    needs are ranked against (the index and the language means hold published profiles only)."""
    lines = [{**n, "kind": "need"} for n in needs]
    lines += [{**t, "id": f"{t['id']}{TRANSLATED}", "kind": "need", "status": "draft"} for t in translations]
    lines += [{**c, "kind": "capability", "title": c.get("title") or c.get("name")} for c in capabilities]
    return [json.dumps(line, ensure_ascii=False) for line in lines]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        parts = line.strip().split("\t") if "\t" in line else line.split()
        if number == 0 and not parts[-1].lstrip("-").isdigit() or len(parts) < 3:
            continue
        qrels[parts[0]][parts[1]] = int(parts[-1])
    return qrels


def ndcg_at(ranked: list[str], judged: dict[str, int], k: int = 10) -> float:
    gains = [judged.get(doc, 0) for doc in ranked[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], judged: dict[str, int], k: int = 10) -> float:
    relevant = {doc for doc, grade in judged.items() if grade > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: list[str], judged: dict[str, int]) -> float:
    return next((1 / (i + 1) for i, doc in enumerate(ranked) if judged.get(doc, 0) > 0), 0.0)


def evaluate(runs: dict[str, list[str]], qrels: dict[str, dict[str, int]], languages: dict[str, str]) -> dict:
    groups: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for need_id, judged in qrels.items():
        if not any(g > 0 for g in judged.values()) or need_id not in runs:
            continue
        ranked = runs[need_id]
        scores = (ndcg_at(ranked, judged), recall_at(ranked, judged), reciprocal_rank(ranked, judged))
        groups["all"].append(scores)
        groups[languages.get(need_id, "?")].append(scores)
        if languages.get(need_id) in ("nb", "nn", "sv", "da"):
            groups["nordic"].append(scores)
    return {group: {"needs": len(rows), "ndcg@10": _mean(r[0] for r in rows), "recall@10": _mean(r[1] for r in rows),
                    "mrr": _mean(r[2] for r in rows)} for group, rows in groups.items()}


def _mean(values) -> float:
    values = list(values)
    return round(sum(values) / len(values), 4) if values else 0.0


def rank_all(app, need_ids: list[str], weights: dict | None, centering: float | None = None,
             prior_weight: float | None = None, texts: dict[str, str] | None = None) -> dict[str, list]:
    """Rankings of capabilities for the given needs, or for ``texts`` (id -> typed text)."""
    from sqlalchemy import select

    from matchmaker.database import get_database
    from matchmaker.matching.engine import MatchingEngine
    from matchmaker.matching.runtime import get_encoder
    from matchmaker.models import NeedProfile, Profile
    from matchmaker.services.matching import ranked_ids

    # A fresh engine per method: the language means are taken off when the index loads.
    engine = MatchingEngine(get_encoder(app))
    engine.weights = weights or dict(engine.weights)
    engine.max_results = DEPTH
    if centering is not None:
        engine.centering_strength = centering
    if prior_weight is not None:
        engine.prior_weight = prior_weight
    runs = {}
    with get_database(app).session_scope() as session:
        needs = {n.external_id: n for n in session.scalars(select(NeedProfile))}
        external = dict(session.execute(select(Profile.id, Profile.external_id)).all())
        for need_id in need_ids:
            runs[need_id] = [(external[pid], score) for pid, score in ranked_ids(session, engine, needs[need_id])]
        for query_id, text in (texts or {}).items():
            runs[query_id] = [(external[pid], score) for pid, score in ranked_ids(session, engine, text=text)]
    return runs


def load(app, needs: list[dict], capabilities: list[dict], translations: list[dict] = ()) -> None:
    from matchmaker.database import get_database
    from matchmaker.migrate import upgrade
    from matchmaker.services.transfer import ImportFailed, import_lines

    with app.app_context():
        upgrade("head")
        try:
            with get_database(app).session_scope() as session:
                report = import_lines(session, as_import_records(needs, capabilities, translations))
        except ImportFailed as error:
            # Lines are numbered needs first, then capabilities, as as_import_records joins them.
            for problem in error.problems:
                print(f"cannot import record {problem}", file=sys.stderr)
            raise SystemExit(2) from None
    for warning in report.warnings[:5]:
        print(f"import warning: {warning}", file=sys.stderr)


def translation_report(runs: dict[str, list[tuple[str, float]]], qrels: dict[str, dict[str, int]]) -> dict:
    """Each translated need against its original: nDCG@10 of both, and the share of the top 10
    they have in common (1.0: the language made no difference)."""
    pairs = [(need, f"{need}{TRANSLATED}") for need in runs if f"{need}{TRANSLATED}" in runs]
    if not pairs:
        return {}
    ranked = {need: [doc for doc, _ in docs] for need, docs in runs.items()}
    overlap = [len(set(ranked[a][:10]) & set(ranked[b][:10])) / 10 for a, b in pairs]
    judged = [(a, b) for a, b in pairs if any(g > 0 for g in qrels.get(a, {}).values())]
    return {"needs": len(pairs), "top10_overlap": _mean(overlap),
            "ndcg@10_originals": _mean(ndcg_at(ranked[a], qrels[a]) for a, _ in judged),
            "ndcg@10_translations": _mean(ndcg_at(ranked[b], qrels[a]) for a, b in judged)}


def calibration_table(runs: dict[str, list[tuple[str, float]]], qrels: dict[str, dict[str, int]],
                      targets: dict[str, float], min_pairs: int = 10) -> list[dict]:
    """For each strength word, the lowest score at which the pairs scoring at least that much
    are judged relevant (grade 1 or 2) at least as often as the word's target precision."""
    scored = sorted(((score, qrels.get(need, {}).get(doc, 0)) for need, docs in runs.items()
                     if need in qrels and not need.endswith(TRANSLATED) for doc, score in docs), reverse=True)
    rows, relevant = [], 0
    for count, (score, grade) in enumerate(scored, start=1):
        relevant += grade > 0
        rows.append((score, count, relevant / count))
    table = []
    for word, target in targets.items():
        passing = [row for row in rows if row[1] >= min_pairs and row[2] >= target]
        if passing:
            score, count, precision = passing[-1]
            table.append({"word": word, "target": target, "threshold": round(score, 3), "pairs": count,
                          "precision": round(precision, 3)})
    return table


def write_run(path: Path, runs: dict[str, list[tuple[str, float]]], name: str) -> None:
    with path.open("w", encoding="utf-8") as out:
        for need_id, ranked in runs.items():
            for rank, (capability_id, score) in enumerate(ranked, start=1):
                out.write(f"{need_id} Q0 {capability_id} {rank} {score:.6f} {name}\n")


def print_table(results: dict[str, dict]) -> None:
    groups = sorted({g for r in results.values() for g in r}, key=lambda g: (g not in ("all", "nordic"), g))
    print(f"{'method':<8} {'needs':<8} {'n':>3} {'nDCG@10':>8} {'R@10':>6} {'MRR':>6}")
    for method, by_group in results.items():
        for group in groups:
            if group in by_group:
                row = by_group[group]
                print(f"{method:<8} {group:<8} {row['needs']:>3} {row['ndcg@10']:>8.3f} "
                      f"{row['recall@10']:>6.3f} {row['mrr']:>6.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--needs", type=Path, required=True)
    parser.add_argument("--capabilities", type=Path, required=True)
    parser.add_argument("--qrels", type=Path)
    parser.add_argument("--run-out", type=Path)
    parser.add_argument("--run-name", default="matchmaker")
    parser.add_argument("--method", choices=[*METHODS, "all"], default="final")
    parser.add_argument("--encoder", help="encoder spec (default: the configured one)")
    parser.add_argument("--weights", help="JSON object overriding the ranking weights")
    parser.add_argument("--json", action="store_true", help="print the metrics as one JSON line too")
    parser.add_argument("--translations", type=Path,
                        help="the needs in another language (same ids): their nDCG@10 and top-10 overlap")
    parser.add_argument("--centering", type=float, help="share of the language mean taken off (final method)")
    parser.add_argument("--prior-weight", type=float, help="how many corpus texts the reference means count as")
    parser.add_argument("--calibrate", action="store_true", help="print precision by score threshold (final)")
    parser.add_argument("--title-queries", action="store_true",
                        help="also rank with each need's title as typed text (final): nDCG and calibration")
    args = parser.parse_args(argv)
    results, extras = run_evaluation(args)
    if results:
        print_table(results)
    for method, extra in extras.items():
        if extra.get("metrics"):
            print(f"{method}: {json.dumps(extra['metrics'])}")
        if extra.get("translations"):
            print(f"{method} translations: {json.dumps(extra['translations'])}")
        for row in extra.get("calibration", []):
            print(f"{method} calibration: {json.dumps(row)}")
    if args.json:
        print(json.dumps({"metrics": results, **{f"{m}_extra": e for m, e in extras.items()}}))
    return 0


def title_query_report(app, needs, weights, centering, args, qrels, languages) -> dict:
    """Each need's title typed into the search box: how well the text path ranks, and where its
    strength words belong (short texts score lower than whole profiles)."""
    from matchmaker.matching.calibration import PRECISION

    with app.app_context():
        runs = rank_all(app, [], weights, centering, args.prior_weight, texts={str(n["id"]): n["title"] for n in needs})
    ranked = {need: [doc for doc, _ in docs] for need, docs in runs.items()}
    return {"metrics": evaluate(ranked, qrels, languages)["all"],
            "calibration": calibration_table(runs, qrels, PRECISION)}


def run_evaluation(args) -> tuple[dict, dict]:
    from matchmaker import create_app

    needs, capabilities = read_jsonl(args.needs), read_jsonl(args.capabilities)
    translations = read_jsonl(args.translations) if args.translations else []
    qrels = read_qrels(args.qrels) if args.qrels else {}
    with tempfile.TemporaryDirectory() as tmp:
        config = {"SECRET_KEY": "evaluation", "DATABASE_URL": f"sqlite:///{tmp}/evaluation.sqlite3",
                  "MATCHING_SNAPSHOT_DIR": None}
        if args.encoder:
            config["MATCHING_ENCODER"] = args.encoder
        app = create_app(config)
        load(app, needs, capabilities, translations)
        languages = {str(n["id"]): n.get("language", "?") for n in needs}
        ids = [str(n["id"]) for n in needs] + [f"{t['id']}{TRANSLATED}" for t in translations]
        results, extras = {}, {}
        for method in list(METHODS) if args.method == "all" else [args.method]:
            weights, centering = METHODS[method]
            if method == "final":
                weights = json.loads(args.weights) if args.weights else None
                centering = args.centering
            with app.app_context():
                runs = rank_all(app, ids, weights, centering, args.prior_weight if method == "final" else None)
            if args.run_out:
                path = args.run_out if args.method != "all" else args.run_out.with_suffix(f".{method}.tsv")
                write_run(path, runs, f"{args.run_name}-{method}")
            originals = {need: [doc for doc, _ in docs] for need, docs in runs.items() if not need.endswith(TRANSLATED)}
            if qrels:
                results[method] = evaluate(originals, qrels, languages)
            extras[method] = {"translations": translation_report(runs, qrels)}
            if args.calibrate and method == "final":
                from matchmaker.matching.calibration import PRECISION

                extras[method]["calibration"] = calibration_table(runs, qrels, PRECISION)
            if args.title_queries and method == "final":
                extras["title-queries"] = title_query_report(app, needs, weights, centering, args, qrels, languages)
    return results, extras


if __name__ == "__main__":
    sys.exit(main())
