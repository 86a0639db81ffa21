"""Upper bound: the LP relaxation of meeting-to-slot placement, solved with GLOP.

Variables x[m, s] in [0, 1] for every free meeting and candidate slot; each meeting at most once,
each participant in at most one meeting per slot, and per slot and size class no more meetings
than free tables of that class. Locked meetings add their priority as a constant. No schedule can
place more priority than this, so it measures how far from optimal a schedule can be.

The relaxation object stays open after the bound is taken: the greedy start dives through it
(heuristics.py), committing meetings to slots and solving again, which GLOP does warm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ortools.linear_solver import pywraplp

from matchmaker.scheduling.problem import Problem

POSITIVE = 1e-6  # LP values below this count as zero


class LpRelaxation:
    def __init__(self, problem: Problem):
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        solver, arena = self.solver, problem.arena
        self.x = {(m, s): solver.NumVar(0.0, 1.0, "") for m in problem.free_meetings for s in problem.candidates[m]}
        for m in problem.free_meetings:
            if len(problem.candidates[m]) > 1:
                solver.Add(solver.Sum([self.x[m, s] for s in problem.candidates[m]]) <= 1)
        for terms, limit in _shared_limits(problem, self.x):
            solver.Add(solver.Sum(terms) <= limit)
        solver.Maximize(solver.Sum([arena.priority[m] * var for (m, _), var in self.x.items()]))

    def solve(self, seconds: float | None = None) -> float | None:
        """The optimum over the free meetings, commitments so far respected; None if GLOP fails
        or runs out of time. (The LP is always feasible, all zeros, and bounded.)"""
        if seconds is not None:
            self.solver.SetTimeLimit(max(1, int(seconds * 1000)))
        if self.solver.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        return self.solver.Objective().Value()

    def values(self) -> dict[tuple[int, int], float]:
        """(meeting, slot) -> value in the last solution, where positive."""
        return {key: value for key, var in self.x.items() if (value := var.solution_value()) > POSITIVE}

    def commit(self, meeting: int, slot: int) -> None:
        """From now on the meeting takes place in this slot."""
        self.x[meeting, slot].SetLb(1.0)


@dataclass
class LpBound:
    value: float  # LP optimum including locked meetings
    fractions: dict[tuple[int, int], float]  # (meeting, slot) -> LP value, where positive
    relaxation: LpRelaxation | None  # None when the LP was not solved in time


def lp_bound(problem: Problem, seconds: float | None = None) -> LpBound:
    """The LP bound, or, when GLOP cannot finish within `seconds`, the plain bound: every meeting
    that has a possible slot placed. A weaker bound, but the schedule still gets its full time."""
    locked = sum(problem.arena.priority[m] for m in problem.arena.locked)
    relaxation = LpRelaxation(problem)
    value = relaxation.solve(seconds)
    if value is None:
        plain = sum(problem.arena.priority[m] for m in problem.free_meetings if problem.candidates[m])
        return LpBound(plain + locked, {}, None)
    return LpBound(value + locked, relaxation.values(), relaxation)


def _shared_limits(problem: Problem, x: dict) -> list[tuple[list, int]]:
    """The participant-per-slot and tables-per-slot rows, skipping those that can never bind."""
    by_person_slot: dict[tuple[int, int], list] = {}
    by_slot_class: dict[tuple[int, int], list] = {}
    for (m, s), var in x.items():
        for person in problem.arena.meeting_participants[m]:
            by_person_slot.setdefault((person, s), []).append(var)
        for k in problem.classes_of(m):
            by_slot_class.setdefault((s, k), []).append(var)
    rows = [(terms, 1) for terms in by_person_slot.values() if len(terms) > 1]
    for (s, k), terms in by_slot_class.items():
        if len(terms) > problem.free_tables[s][k]:
            rows.append((terms, problem.free_tables[s][k]))
    return rows


def rounded_down(value: float, unit: float) -> float:
    """Every schedule's total is a whole multiple of `unit` (see weights.py), so the bound can
    be rounded down to one; a small allowance absorbs LP round-off."""
    steps = value / unit
    return math.floor(steps + 1e-7 * max(1.0, abs(steps))) * unit
