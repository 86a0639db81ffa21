"""The greedy start: a dive through the LP relaxation. Meetings the LP places whole are committed;
then the largest fractions that still fit are committed, a tenth of them at a time, and the LP is
solved again around them, until it comes out whole or time is up; what is left is rounded (the
pairs the LP is surest about first) and filled by priority. On a 120-participant arena where
rounding the first LP reached 98.9% of the bound, diving reached 99.8% in a second. Also the final
fill that places whatever still fits.
"""

from __future__ import annotations

import math
import time

from matchmaker.scheduling.bound import LpBound
from matchmaker.scheduling.problem import Placement, Problem

WHOLE = 1 - 1e-6  # LP values above this count as one
DIVE_BATCH = 0.1  # share of the fractional candidates committed per LP solve


def lp_diving(problem: Problem, lp: LpBound, deadline: float) -> Placement:
    placement = Placement(problem)
    if lp.relaxation is None:  # the LP ran out of time: a plain greedy start
        fill(placement)
        return placement
    values = lp.fractions
    while True:
        for (meeting, slot), value in values.items():
            if value > WHOLE:
                _commit(placement, lp, meeting, slot)
        fractional = _open_fractions(placement, values)
        if not fractional or time.monotonic() >= deadline:
            break
        for meeting, slot in fractional[:math.ceil(DIVE_BATCH * len(fractional))]:
            _commit(placement, lp, meeting, slot)
        if lp.relaxation.solve(deadline - time.monotonic()) is None:
            break  # out of time or numerical trouble: round what the last solution said
        values = lp.relaxation.values()
    _round(placement, values)
    fill(placement, values)
    return placement


def _commit(placement: Placement, lp: LpBound, meeting: int, slot: int) -> None:
    """Places the meeting if it is unplaced and fits (an earlier commitment may have taken its
    room), and fixes it in the LP."""
    if meeting not in placement.slot_of and placement.fits(meeting, slot):
        placement.place(meeting, slot)
        lp.relaxation.commit(meeting, slot)


def _open_fractions(placement: Placement, values: dict[tuple[int, int], float]) -> list[tuple[int, int]]:
    """Fractional pairs of unplaced meetings that still fit, largest value (then priority) first."""
    priority = placement.problem.arena.priority
    open_pairs = [(key, value) for key, value in values.items()
                  if value <= WHOLE and key[0] not in placement.slot_of and placement.fits(*key)]
    open_pairs.sort(key=lambda item: (-item[1], -priority[item[0][0]], item[0]))
    return [key for key, _ in open_pairs]


def _round(placement: Placement, values: dict[tuple[int, int], float]) -> None:
    for meeting, slot in _open_fractions(placement, values):
        if meeting not in placement.slot_of and placement.fits(meeting, slot):
            placement.place(meeting, slot)


def fill(placement: Placement, preference: dict[tuple[int, int], float] | None = None) -> None:
    """Places each unplaced meeting that fits somewhere, highest priority and fewest options first,
    in the slot the LP likes best or else the one with most tables to spare."""
    problem = placement.problem
    preference = preference or {}
    for meeting in by_urgency(problem, unplaced(placement)):
        open_slots = [s for s in problem.candidates[meeting] if placement.fits(meeting, s)]
        if open_slots:
            placement.place(meeting, max(open_slots, key=lambda s: (preference.get((meeting, s), 0.0),
                                                                     _spare_tables(placement, s), -s)))


def unplaced(placement: Placement) -> list[int]:
    return [m for m in placement.problem.free_meetings if m not in placement.slot_of]


def by_urgency(problem: Problem, meetings: list[int]) -> list[int]:
    """Highest priority first, then the meetings with fewest possible slots."""
    return sorted(meetings, key=lambda m: (-problem.arena.priority[m], len(problem.candidates[m]), m))


def _spare_tables(placement: Placement, slot: int) -> int:
    return placement.problem.free_tables[slot][0] - placement.used[slot][0]
