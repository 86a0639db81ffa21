"""A finished schedule, why each left-out meeting was left out, and its JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from matchmaker.scheduling.arena import Arena
from matchmaker.scheduling.problem import slots_of
from matchmaker.scheduling.weights import total

NO_COMMON_SLOT = "no common free slot"
PARTICIPANT_FULL = "participant full"
NO_TABLE = "no table"
TOO_LARGE = "no table seats that many participants"
# Only when a schedule is not maximal, which the scheduler's final fill rules out.
NOT_REACHED = "not placed: a free slot and table remain"


@dataclass
class Schedule:
    assignments: list[tuple[int, int, int]]  # (meeting, slot, table), as indices into the arena
    unscheduled: list[tuple[int, str]]  # (meeting, reason)
    objective: float | int  # total priority of placed meetings, locked ones included
    bound: float | int | None = None  # upper bound on the objective, when computed
    stats: dict[str, Any] = field(default_factory=dict)

    def to_json(self, arena: Arena) -> dict:
        return {
            "assignments": [{"meeting": arena.meeting_ids[m], "slot": arena.slot_ids[s], "table": arena.table_ids[t]}
                            for m, s, t in self.assignments],
            "unscheduled": [{"meeting": arena.meeting_ids[m], "reason": reason} for m, reason in self.unscheduled],
            "objective": self.objective,
            "bound": self.bound,
        }


def finish(arena: Arena, assignments: list[tuple[int, int, int]], bound=None, stats=None) -> Schedule:
    """Wraps placed meetings into a Schedule, giving every other meeting its reason."""
    placed = {m for m, _, _ in assignments}
    busy = [0] * len(arena.participant_ids)
    taken: dict[int, set[int]] = {}
    for m, s, t in assignments:
        taken.setdefault(s, set()).add(t)
        for person in arena.meeting_participants[m]:
            busy[person] |= 1 << s
    unscheduled = [(m, reason(arena, busy, taken, m)) for m in range(len(arena.meeting_ids)) if m not in placed]
    objective = total([arena.priority[m] for m in placed])
    return Schedule(assignments, unscheduled, objective, bound, stats or {})


def reason(arena: Arena, busy: list[int], taken: dict[int, set[int]], meeting: int) -> str:
    """Why an unplaced meeting is not in the schedule, given each participant's busy slots (bit
    masks) and the tables taken per slot in the finished schedule."""
    size = arena.size(meeting)
    if max(arena.table_capacity, default=0) < size:
        return TOO_LARGE
    common = arena.common_slots(meeting)
    if not common:
        return NO_COMMON_SLOT
    for person in arena.meeting_participants[meeting]:
        common &= ~busy[person]
    if not common:
        return PARTICIPANT_FULL
    if all(_tables_full(arena, taken.get(s, set()), size) for s in slots_of(common)):
        return NO_TABLE
    return NOT_REACHED


def _tables_full(arena: Arena, taken: set[int], size: int) -> bool:
    return not any(capacity >= size and t not in taken for t, capacity in enumerate(arena.table_capacity))
