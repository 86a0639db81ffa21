"""The production scheduler, in order:

1. the LP bound (bound.py), and a dive through the LP to a greedy start (heuristics.py);
2. local search on that start (local_search.py);
3. CP-SAT phase 1 for priority, stopping at the bound; local search again for coverage and gaps;
   CP-SAT phase 2 re-timing the placed meetings for fewer gaps (cpsat.py);
4. a final fill, tables per slot (tables.py), and a reason for every meeting left out (result.py).
"""

from __future__ import annotations

import math
import time

from matchmaker.scheduling.arena import Arena
from matchmaker.scheduling.bound import lp_bound, rounded_down
from matchmaker.scheduling.cpsat import optimise
from matchmaker.scheduling.heuristics import fill, lp_diving
from matchmaker.scheduling.local_search import LocalSearch
from matchmaker.scheduling.problem import build_problem
from matchmaker.scheduling.result import Schedule, finish
from matchmaker.scheduling.tables import assign_tables
from matchmaker.scheduling.weights import Weights, integer_weights, total

DEFAULT_TIME_LIMIT = 20.0
DEFAULT_SEED = 0
LP_SHARE = 0.3  # of the time limit, at most, for the LP bound; past it the plain bound is reported
DIVE_SHARE = 0.25  # of the time limit, at most, for diving through the LP to the greedy start
GREEDY_SHARE = 0.1  # of the time limit, at most, for local search on the greedy start
STALL_SHARE = 0.1  # phase 2 gives up after this share of the time limit (at least 1 s) without progress
FINISH_RESERVE = 0.05  # of the time limit kept back for tables, reasons and output


def schedule(arena: Arena, time_limit: float = DEFAULT_TIME_LIMIT, seed: int = DEFAULT_SEED,
             day_goals: bool = True) -> Schedule:
    """The best schedule found within about `time_limit` seconds, with the LP bound.

    Maximises placed priority first (optimal whenever it reaches the bound, and on small arenas);
    never trading priority away, it then looks for schedules that give more participants a
    meeting, leave fewer idle gaps and end people's days earlier. Locked meetings never move.
    ``day_goals=False`` stops after priority: the comparison the scheduler benchmark reports.
    """
    began = time.monotonic()
    deadline = began + time_limit * (1 - FINISH_RESERVE)
    problem, weights = build_problem(arena), integer_weights(arena.priority)
    lp = lp_bound(problem, LP_SHARE * time_limit)
    stats: dict = {"lp_seconds": round(time.monotonic() - began, 2), "lp_solved": lp.relaxation is not None}
    start = lp_diving(problem, lp, min(deadline, time.monotonic() + DIVE_SHARE * time_limit))
    stats["dive_seconds"] = round(time.monotonic() - began - stats["lp_seconds"], 2)
    LocalSearch(start, weights.weights).run(min(deadline, time.monotonic() + GREEDY_SHARE * time_limit))
    stats["greedy_priority"] = total([arena.priority[m] for m in [*start.slot_of, *arena.locked]])
    best, solver_stats = optimise(problem, weights.weights, start, deadline, seed,
                                  target=_weighted_target(lp.value, arena, weights),
                                  stall=max(1.0, STALL_SHARE * time_limit), day_goals=day_goals)
    fill(best)  # anything that still fits (e.g. priority 0) goes in without moving the rest
    stats.update(solver_stats, seconds=round(time.monotonic() - began, 2))
    return finish(arena, assign_tables(arena, best.slot_of), _reported_bound(lp.value, weights), stats)


def _weighted_target(lp_value: float, arena: Arena, weights: Weights) -> int | None:
    """Phase 1 can stop at this total weight of free meetings: the LP bound says no schedule
    does better. Only when the weights are the priorities exactly."""
    if not weights.exact:
        return None
    locked = sum(weights.weights[m] for m in arena.locked)
    return round(rounded_down(lp_value, weights.unit) / weights.unit) - locked


def _reported_bound(lp_value: float, weights: Weights) -> float | int:
    """The LP bound, rounded down to what priorities can add up to when the weights are exact,
    else rounded up to six decimals (rounding down could undercut the objective)."""
    if weights.exact:
        value = round(rounded_down(lp_value, weights.unit), weights.decimals)
    else:
        value = math.ceil((lp_value + 1e-9 * max(1.0, abs(lp_value))) * 1e6) / 1e6
    return int(value) if float(value).is_integer() else value
