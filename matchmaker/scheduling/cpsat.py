"""CP-SAT over meeting-to-slot placement, in two phases.

Phase 1 maximises placed priority, hinted with the greedy placement, and stops as soon as it
reaches the LP bound (nothing better exists).

Between the phases, local search (local_search.py) works on coverage and gaps without losing
priority. Phase 2 then re-times the meetings placed: the same meetings, so the same priority and
the same participants with a meeting, in the slots that leave the fewest runs of meetings per
participant. Each run after a participant's first is an idle gap, counted over the slots the
participant is available in (being away is not idling). Among placements with as few gaps, it
prefers those where people finish early: the sum of each participant's last busy slot is a
second objective, weighted below one gap, so it never buys an earlier finish with a gap. On small
arenas phase 2 finds the fewest gaps there are; at 300 to 1,000 participants it rarely gains more
than a few over local search and stops once it stalls. (A phase 2 that could also swap meetings
in and out, under a priority floor, found nothing at all at 300 participants: keeping the placed
set fixed is what makes the model small enough for CP-SAT's neighbourhood search.)
"""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from matchmaker.scheduling.local_search import LocalSearch
from matchmaker.scheduling.problem import Placement, Problem, slots_of
from matchmaker.scheduling.solve_control import solve

PHASE1_SHARE = 0.6  # of the time left, at most, for phase 1
SEARCH_SHARE = 0.3  # of the time left after phase 1, at most, for local search


def _placement_rules(model: cp_model.CpModel, problem: Problem, x: dict) -> None:
    """Each meeting at most once, each participant once per slot, tables per slot and size class."""
    by_meeting: dict[int, list] = {}
    by_person_slot: dict[tuple[int, int], list] = {}
    by_slot_class: dict[tuple[int, int], list] = {}
    for (m, s), var in x.items():
        by_meeting.setdefault(m, []).append(var)
        for person in problem.arena.meeting_participants[m]:
            by_person_slot.setdefault((person, s), []).append(var)
        for k in problem.classes_of(m):
            by_slot_class.setdefault((s, k), []).append(var)
    for group in [*by_meeting.values(), *by_person_slot.values()]:
        if len(group) > 1:
            model.AddAtMostOne(group)
    for (s, k), group in by_slot_class.items():
        if len(group) > problem.free_tables[s][k]:
            model.Add(sum(group) <= problem.free_tables[s][k])


def _read(problem: Problem, x: dict, solver: cp_model.CpSolver) -> Placement:
    placement = Placement(problem)
    for (m, s), var in x.items():
        if solver.BooleanValue(var):
            placement.place(m, s)
    return placement


def maximise_priority(problem: Problem, weights: list[int], hint: Placement, seconds: float, seed: int,
                      target: int | None) -> Placement:
    """Phase 1. The best placement found; the hint when the solver finds nothing better."""
    model = cp_model.CpModel()
    x = {(m, s): model.NewBoolVar(f"x{m}_{s}") for m in problem.free_meetings for s in problem.candidates[m]}
    _placement_rules(model, problem, x)
    for (m, s), var in x.items():
        model.AddHint(var, hint.slot_of.get(m) == s)
    model.Maximize(cp_model.LinearExpr.WeightedSum(list(x.values()), [weights[m] for m, _ in x]))
    solver = solve(model, seconds, seed, target=target)
    if solver is None:
        return hint
    found = _read(problem, x, solver)
    return found if _weight(found, weights) >= _weight(hint, weights) else hint


def _weight(placement: Placement, weights: list[int]) -> int:
    return sum(weights[m] for m in placement.slot_of)


def retime(problem: Problem, placed: Placement, seconds: float, seed: int,
           stall: float) -> tuple[Placement, int | None]:
    """Phase 2: the same meetings in the slots that leave the fewest runs of meetings. Returns
    the placement and its number of runs as the model counts them, every participant's and
    locked meetings included (None when the solver found nothing and the input comes back)."""
    model = cp_model.CpModel()
    x = {(m, s): model.NewBoolVar(f"x{m}_{s}") for m in placed.slot_of for s in problem.candidates[m]}
    _placement_rules(model, problem, x)
    for m in placed.slot_of:
        model.AddBoolOr([x[m, s] for s in problem.candidates[m]])
    busy = _busy_literals(model, problem, x)
    starts, constant = _run_starts(model, problem, busy)
    finishes = _finishes(model, problem, busy)
    per_gap = problem.arena.n_slots * len(finishes) + 1  # more than every finish together
    model.Minimize(per_gap * (sum(starts.values()) + constant) + sum(finishes.values()))
    _hint_all(model, placed, x, busy, starts)
    _hint_finishes(model, placed, finishes)
    solver = solve(model, seconds, seed, stall=stall)
    if solver is None:
        return placed, None
    return _read(problem, x, solver), round(solver.ObjectiveValue()) // per_gap


def _busy_literals(model: cp_model.CpModel, problem: Problem, x: dict) -> dict[tuple[int, int], cp_model.IntVar]:
    """busy[p, s] is 1 exactly when p has a placed meeting in s. Runs are clauses over these;
    written over the sums of x instead, presolve spends seconds expanding them."""
    terms: dict[tuple[int, int], list] = {}
    for (m, s), var in x.items():
        for person in problem.arena.meeting_participants[m]:
            terms.setdefault((person, s), []).append(var)
    busy = {}
    for (person, slot), group in terms.items():
        busy[person, slot] = model.NewBoolVar(f"busy{person}_{slot}")
        model.Add(sum(group) == busy[person, slot])
    return busy


def _run_starts(model: cp_model.CpModel, problem: Problem, busy: dict) -> tuple[dict, int]:
    """start[p, s] is forced to 1 where a run begins: busy in s but not in p's previous available
    slot. A locked meeting is a constant 1, a slot with nothing to place a constant 0; a run start
    between two constants is a constant, counted in the second value returned."""
    starts, constant = {}, 0
    for person, available in enumerate(problem.arena.available):
        before: cp_model.IntVar | int = 0
        for slot in slots_of(available):
            now = busy.get((person, slot), problem.locked_busy[person] >> slot & 1)
            if _may_start_run(now, before):
                start = starts[person, slot] = model.NewBoolVar(f"start{person}_{slot}")
                model.AddBoolOr([start, *_unless_busy(now), *_unless_idle(before)])
            elif isinstance(now, int) and isinstance(before, int):
                constant += now and not before
            before = now
    return starts, constant


def _finishes(model: cp_model.CpModel, problem: Problem, busy: dict) -> dict[int, cp_model.IntVar]:
    """finish[p]: one past the index of p's last busy slot, for each participant with a meeting
    to place (locked meetings count as busy)."""
    finishes = {}
    slots_by_person: dict[int, list[int]] = {}
    for person, slot in busy:
        slots_by_person.setdefault(person, []).append(slot)
    for person, slots in slots_by_person.items():
        locked = slots_of(problem.locked_busy[person])
        floor = locked[-1] + 1 if locked else 0
        finish = finishes[person] = model.NewIntVar(floor, problem.arena.n_slots, f"finish{person}")
        model.AddMaxEquality(finish, [(slot + 1) * busy[person, slot] for slot in slots] + [floor])
    return finishes


def _hint_finishes(model: cp_model.CpModel, placed: Placement, finishes: dict) -> None:
    for person, var in finishes.items():
        model.AddHint(var, placed.busy[person].bit_length())  # busy includes the locked meetings


def _may_start_run(now, before) -> bool:
    """Whether a run start here depends on the variables (else it is a constant 0 or 1)."""
    if isinstance(now, int) and isinstance(before, int):
        return False
    return not (isinstance(now, int) and now == 0) and not (isinstance(before, int) and before == 1)


def _unless_busy(now) -> list:
    return [] if isinstance(now, int) else [now.Not()]


def _unless_idle(before) -> list:
    return [] if isinstance(before, int) else [before]


def _hint_all(model: cp_model.CpModel, placed: Placement, x: dict, busy: dict, starts: dict) -> None:
    """A complete hint (every variable) lets CP-SAT start from the placement at once."""
    for (m, s), var in x.items():
        model.AddHint(var, placed.slot_of[m] == s)
    for (person, slot), var in busy.items():
        model.AddHint(var, placed.busy[person] >> slot & 1)
    for (person, slot), var in starts.items():
        earlier = [s for s in slots_of(placed.problem.arena.available[person]) if s < slot]
        model.AddHint(var, placed.busy[person] >> slot & 1 and not (earlier and placed.busy[person] >> earlier[-1] & 1))


def optimise(problem: Problem, weights: list[int], start: Placement, deadline: float, seed: int,
             target: int | None, stall: float, day_goals: bool = True) -> tuple[Placement, dict]:
    """Phase 1, local search on its result, then phase 2, all within the deadline. Phase 1 stops
    at the target; phase 2 after `stall` seconds without a better solution. Without
    ``day_goals``, only phase 1."""
    clock = _Clock()
    best = start
    if target is None or _weight(start, weights) < target:
        best = maximise_priority(problem, weights, start, PHASE1_SHARE * clock.left(deadline), seed, target)
    stats: dict = {"phase1_seconds": clock.lap()}
    if not day_goals:
        return best, stats
    search = LocalSearch(best, weights)
    search.run(time.monotonic() + SEARCH_SHARE * clock.left(deadline))
    stats.update(search_seconds=clock.lap(), spread_after_search=search.spread())
    best, runs = retime(problem, best, clock.left(deadline), seed, stall)
    stats.update(phase2_seconds=clock.lap(), runs_after_phase2=runs)
    return best, stats


class _Clock:
    """Seconds since the previous lap, for the statistics."""

    def __init__(self):
        self.last = time.monotonic()

    def lap(self) -> float:
        now = time.monotonic()
        seconds, self.last = now - self.last, now
        return round(seconds, 2)

    @staticmethod
    def left(deadline: float) -> float:
        return max(0.0, deadline - time.monotonic())
