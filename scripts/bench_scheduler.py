"""The meeting scheduler against first-come-first-served placement; prints one JSON line.

    python scripts/bench_scheduler.py [--sizes 60 300 1000] [--seed 1]

For each size an arena is generated (seeded, so runs repeat) the way real ones look: skewed
popularity (a few departments and funders are asked by many), partial availability (late
arrivals, early departures, short absences), some 3-person meetings, a few locked meetings, and
fewer tables than the meetings wanted per slot. Both schedules are checked with the validator the
tests use; "valid" in the output says they passed. Per arena:

- participants, meetings, slots, tables, locked; bound: the LP upper bound on placed priority;
- scheduler / priority_only / first_fit: priority_only is the scheduler stopped after placed
  priority (phase 1, without the day goals: more people with a meeting, fewer idle gaps, earlier
  finishes), so the two show what the day goals buy at the same priority. Each gives priority
  and placed count, seconds, pct_of_bound (priority / bound),
  participants_without_meeting (among those with any request), idle_gaps (idle stretches between
  two meetings of a participant, summed) and idle_gaps_per_participant (per participant with a
  meeting), mean_finish_slot (the slot of each such participant's last meeting, 1 for the first
  slot, averaged), valid; for the scheduler also greedy_priority, what its
  greedy start and local search reached before CP-SAT.

The time limits (4, 8 and 24 s) leave room under the targets of 10 s at 300 and 30 s at 1,000
participants for the LP bound and the work after the search.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from datetime import datetime, timedelta

from matchmaker.scheduling import (
    finishing_slots,
    first_fit,
    idle_gaps,
    load_arena,
    schedule,
    unmet_participants,
    validate_schedule,
)

# participants -> (meetings, slots, scheduler time limit in seconds)
SIZES = {60: (250, 16, 4.0), 300: (1350, 18, 8.0), 1000: (5000, 20, 24.0)}
ROLES = [("supplier", 0.45), ("health_staff", 0.40), ("funder", 0.15)]
PRIORITY_WEIGHTS = {1: 30, 2: 30, 3: 20, 4: 12, 5: 8}
THREE_PERSON_SHARE = 0.08
LOCKED_SHARE = 0.02
TABLES_PER_DEMAND = 0.8  # tables per meeting wanted per slot: tables are the scarce resource
LARGE_TABLE_SHARE = 0.2


def generate_arena(n_participants: int, n_meetings: int, n_slots: int, seed: int) -> dict:
    rng = random.Random(seed)
    slots = _slots(n_slots)
    people = _participants(rng, n_participants, [slot["id"] for slot in slots])
    meetings = _meetings(rng, people, n_meetings)
    n_tables = math.ceil(TABLES_PER_DEMAND * n_meetings / n_slots)
    tables = [{"id": f"T{t + 1:03d}", "capacity": 3 if rng.random() < LARGE_TABLE_SHARE else 2}
              for t in range(n_tables)]
    arena = {"slots": slots, "tables": tables, "participants": people, "meetings": meetings, "locked": []}
    arena["locked"] = _locked(rng, arena)
    return arena


def _slots(n_slots: int) -> list[dict]:
    """20-minute slots from 09:00, with a 40-minute lunch break half-way."""
    start = datetime(2025, 5, 20, 9, 0)
    slots = []
    for index in range(n_slots):
        begin = start + timedelta(minutes=20 * index + (40 if index >= n_slots // 2 else 0))
        slots.append({"id": f"s{index + 1:02d}", "start": begin.isoformat(timespec="minutes"),
                      "end": (begin + timedelta(minutes=20)).isoformat(timespec="minutes")})
    return slots


def _participants(rng: random.Random, n: int, slot_ids: list[str]) -> list[dict]:
    people = []
    for index in range(n):
        role = rng.choices([r for r, _ in ROLES], [w for _, w in ROLES])[0]
        person = {"id": index + 1, "role": role}
        if rng.random() < 0.6:  # the others stay the whole day
            person["available"] = _partial_day(rng, slot_ids)
        people.append(person)
    return people


def _partial_day(rng: random.Random, slot_ids: list[str]) -> list[str]:
    n = len(slot_ids)
    first = rng.randrange(0, n // 4 + 1)
    last = n - rng.randrange(0, n // 4 + 1)
    away = set()
    if rng.random() < 0.4:
        gone = rng.randrange(first, last)
        away = set(range(gone, gone + rng.randint(1, 3)))
    return [slot_ids[s] for s in range(first, last) if s not in away]


def _meetings(rng: random.Random, people: list[dict], n_meetings: int) -> list[dict]:
    by_role = {role: [p["id"] for p in people if p["role"] == role] for role, _ in ROLES}
    # Zipf-like popularity: a few participants are asked by very many.
    popularity = {p["id"]: 1.0 / (rank + 1) ** 0.9 for rank, p in enumerate(rng.sample(people, len(people)))}
    meetings, seen = [], set()
    while len(meetings) < n_meetings:
        supplier = rng.choice(by_role["supplier"])
        other_role = "health_staff" if rng.random() < 0.75 else "funder"
        candidates = by_role[other_role]
        other = rng.choices(candidates, [popularity[c] for c in candidates])[0]
        group = [supplier, other]
        if rng.random() < THREE_PERSON_SHARE:
            funders = by_role["funder"]
            group.append(rng.choices(funders, [popularity[f] for f in funders])[0])
        key = frozenset(group)
        if len(key) < len(group) or key in seen:
            continue
        seen.add(key)
        priority = rng.choices(list(PRIORITY_WEIGHTS), list(PRIORITY_WEIGHTS.values()))[0]
        meetings.append({"id": f"m{len(meetings) + 1}", "participants": group, "priority": priority})
    return meetings


def _locked(rng: random.Random, arena: dict) -> list[dict]:
    """A few meetings already published: placed first-fit among themselves, then locked."""
    chosen = rng.sample(arena["meetings"], round(LOCKED_SHARE * len(arena["meetings"])))
    trial = dict(arena, meetings=chosen, locked=[])
    result = first_fit(load_arena(trial))
    return [{"meeting": a["meeting"], "slot": a["slot"], "table": a["table"]}
            for a in result.to_json(load_arena(trial))["assignments"]]


def _measure(arena_data: dict, run) -> tuple[dict, object]:
    arena = load_arena(arena_data)
    began = time.perf_counter()
    result = run(arena)
    seconds = time.perf_counter() - began
    problems = validate_schedule(arena_data, result.to_json(arena))
    figures = {
        "priority": result.objective,
        "placed": len(result.assignments),
        "seconds": round(seconds, 2),
        "participants_without_meeting": len(unmet_participants(arena, result)),
        "idle_gaps": idle_gaps(arena, result),
        "idle_gaps_per_participant": _per_participant(idle_gaps(arena, result), finishing_slots(arena, result)),
        "mean_finish_slot": _mean(finishing_slots(arena, result)),
        "valid": not problems,
    }
    if problems:
        figures["problems"] = problems[:5]
    if "greedy_priority" in result.stats:
        figures["greedy_priority"] = result.stats["greedy_priority"]
    return figures, result


def _mean(values: list[int]) -> float:
    return round(sum(values) / len(values), 2) if values else 0.0


def _per_participant(total: int, with_meetings: list[int]) -> float:
    return round(total / len(with_meetings), 3) if with_meetings else 0.0


def bench_one(n_participants: int, seed: int) -> dict:
    n_meetings, n_slots, time_limit = SIZES[n_participants]
    data = generate_arena(n_participants, n_meetings, n_slots, seed)
    optimised, result = _measure(data, lambda arena: schedule(arena, time_limit=time_limit, seed=seed))
    priority_only, _ = _measure(data, lambda arena: schedule(arena, time_limit=time_limit, seed=seed,
                                                              day_goals=False))
    baseline, _ = _measure(data, first_fit)
    bound = result.bound
    for figures in (optimised, priority_only, baseline):
        figures["pct_of_bound"] = round(100 * figures["priority"] / bound, 2) if bound else 100.0
    return {
        "participants": n_participants, "meetings": n_meetings, "slots": n_slots,
        "tables": len(data["tables"]), "locked": len(data["locked"]), "time_limit": time_limit,
        "bound": bound, "scheduler": optimised, "priority_only": priority_only, "first_fit": baseline,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    report = {f"arena_{n}": bench_one(n, args.seed) for n in args.sizes}
    runs = ("scheduler", "priority_only", "first_fit")
    report["all_valid"] = all(r[run]["valid"] for r in report.values() for run in runs)
    report["validator"] = "matchmaker.scheduling.validate_schedule (the one tests/test_scheduler.py uses)"
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
