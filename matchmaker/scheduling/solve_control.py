"""Running CP-SAT: fixed seed and worker count, a time limit, and two ways to stop early.

- target: stop once the objective reaches a value known to be the best possible (the LP bound);
- stall: stop once no better solution has turned up for this many seconds. Late in a run CP-SAT
  often improves the gap count by one or two in as many tens of seconds; the organiser is better
  served by the schedule now. The clock starts at the first solution, so presolve is not counted.
"""

from __future__ import annotations

import threading
import time

from ortools.sat.python import cp_model

WORKERS = 2  # the machines this runs on have two cores
WATCH_INTERVAL = 0.1  # seconds between checks for a stalled search


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, target: float | None):
        super().__init__()
        self.target = target
        self.last_solution: float | None = None

    def on_solution_callback(self) -> None:
        self.last_solution = time.monotonic()
        if self.target is not None and self.ObjectiveValue() >= self.target - 1e-6:
            self.StopSearch()


def solve(model: cp_model.CpModel, seconds: float, seed: int, target: float | None = None,
          stall: float | None = None) -> cp_model.CpSolver | None:
    """The solver after the search, or None when it found no solution at all."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    solver.parameters.num_workers = WORKERS
    solver.parameters.random_seed = seed
    solver.parameters.interleave_search = True  # deterministic for searches that finish before the limit
    progress = _Progress(target)
    finished = threading.Event()
    if stall is not None:
        threading.Thread(target=_watch, args=(solver, progress, stall, finished), daemon=True).start()
    try:
        status = solver.Solve(model, progress)
    finally:
        finished.set()
    return solver if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None


def _watch(solver: cp_model.CpSolver, progress: _Progress, stall: float, finished: threading.Event) -> None:
    while not finished.wait(WATCH_INTERVAL):
        last = progress.last_solution
        if last is not None and time.monotonic() - last > stall:
            solver.StopSearch()
            return
