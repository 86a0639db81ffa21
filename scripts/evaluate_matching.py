"""Evaluate the production matching on labelled needs and capabilities.

    python scripts/evaluate_matching.py --needs NEEDS.jsonl --capabilities CAPS.jsonl \
        [--qrels QRELS.tsv] [--run-out RUN.tsv] [--method final|dense|bm25|all] [--encoder SPEC]

Loads both files into a fresh temporary database through the real import path, ranks every
capability for each need with the production matching code, writes a TREC run file
(need_id Q0 capability_id rank score run_name) and, given qrels (need_id, capability_id,
grade; header line), prints nDCG@10, Recall@10 and MRR overall and per need language.
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
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

METHODS = {
    "final": None,  # the production weights
    "dense": {"dense": 1.0, "passages": 0.0, "lexical": 0.0, "structure": 0.0},
    "bm25": {"dense": 0.0, "passages": 0.0, "lexical": 1.0, "structure": 0.0},
}
DEPTH = 100


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def as_import_records(needs: list[dict], capabilities: list[dict]) -> list[str]:
    """The evaluation files in the import format: a kind on each line, titles for capabilities."""
    lines = [{**n, "kind": "need"} for n in needs]
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


def rank_all(app, need_ids: list[str], weights: dict | None) -> dict[str, list[tuple[str, float]]]:
    from sqlalchemy import select

    from matchmaker.database import get_database
    from matchmaker.matching.runtime import get_engine
    from matchmaker.models import NeedProfile
    from matchmaker.services.browse import ProfileFilters
    from matchmaker.services.matching import matches_for_profile

    engine = get_engine(app)
    engine.weights = weights or dict(engine.weights)
    engine.max_results = DEPTH
    runs = {}
    with get_database(app).session_scope() as session:
        needs = {n.external_id: n for n in session.scalars(select(NeedProfile))}
        for need_id in need_ids:
            matches = matches_for_profile(session, engine, None, needs[need_id], ProfileFilters(), DEPTH)
            runs[need_id] = [(m.profile.external_id, m.score) for m in matches]
    return runs


def load(app, needs: list[dict], capabilities: list[dict]) -> None:
    from matchmaker.database import get_database
    from matchmaker.migrate import upgrade
    from matchmaker.services.transfer import ImportFailed, import_lines

    with app.app_context():
        upgrade("head")
        try:
            with get_database(app).session_scope() as session:
                report = import_lines(session, as_import_records(needs, capabilities))
        except ImportFailed as error:
            # Lines are numbered needs first, then capabilities, as as_import_records joins them.
            for problem in error.problems:
                print(f"cannot import record {problem}", file=sys.stderr)
            raise SystemExit(2) from None
    for warning in report.warnings[:5]:
        print(f"import warning: {warning}", file=sys.stderr)


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
    args = parser.parse_args(argv)

    from matchmaker import create_app

    needs, capabilities = read_jsonl(args.needs), read_jsonl(args.capabilities)
    with tempfile.TemporaryDirectory() as tmp:
        config = {"SECRET_KEY": "evaluation", "DATABASE_URL": f"sqlite:///{tmp}/evaluation.sqlite3",
                  "MATCHING_SNAPSHOT_DIR": None}
        if args.encoder:
            config["MATCHING_ENCODER"] = args.encoder
        app = create_app(config)
        load(app, needs, capabilities)
        methods = list(METHODS) if args.method == "all" else [args.method]
        languages = {str(n["id"]): n.get("language", "?") for n in needs}
        results = {}
        for method in methods:
            weights = json.loads(args.weights) if args.weights and method == "final" else METHODS[method]
            with app.app_context():
                runs = rank_all(app, [str(n["id"]) for n in needs], weights)
            if args.run_out:
                path = args.run_out if len(methods) == 1 else args.run_out.with_suffix(f".{method}.tsv")
                write_run(path, runs, f"{args.run_name}-{method}")
            if args.qrels:
                ranked = {need: [doc for doc, _ in docs] for need, docs in runs.items()}
                results[method] = evaluate(ranked, read_qrels(args.qrels), languages)
    if results:
        print_table(results)
        if args.json:
            print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
