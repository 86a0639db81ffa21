"""The meeting-to-slot problem left once locked meetings are in place, and a mutable placement of
meetings into slots that every heuristic shares.

Tables are not chosen at this level. A meeting of n people fits any table seating at least n, so
the sets of tables a meeting may use are nested: a slot can seat its meetings exactly when, for
every meeting size k, the meetings of k or more people are no more than the free tables seating k
or more (Hall's condition for nested sets). The slot level therefore keeps one counter per size
class, and tables are handed out afterwards, which then always succeeds (see tables.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from matchmaker.scheduling.arena import Arena


def slots_of(mask: int) -> list[int]:
    """The slot indices whose bits are set, in time order."""
    slots = []
    while mask:
        low = mask & -mask
        slots.append(low.bit_length() - 1)
        mask ^= low
    return slots


@dataclass
class Problem:
    arena: Arena
    free_meetings: list[int]  # meetings the scheduler may place: every meeting not locked
    candidates: dict[int, list[int]]  # free meeting -> slots where it could go in an empty schedule
    size_classes: list[int]  # distinct sizes of free meetings, ascending
    free_tables: list[list[int]]  # [slot][class]: tables not locked that seat at least that size
    locked_busy: list[int]  # per participant: mask of slots taken by locked meetings
    class_count: dict[int, int]  # free meeting -> how many size classes it counts against
    candidate_mask: dict[int, int] = field(default_factory=dict)  # the candidates as a bit mask

    def classes_of(self, meeting: int) -> range:
        """The size classes a meeting counts against: every class up to its own size."""
        return range(self.class_count[meeting])


def build_problem(arena: Arena) -> Problem:
    locked_busy = [0] * len(arena.participant_ids)
    locked_tables: dict[int, set[int]] = {}
    for meeting, (slot, table) in arena.locked.items():
        locked_tables.setdefault(slot, set()).add(table)
        for person in arena.meeting_participants[meeting]:
            locked_busy[person] |= 1 << slot
    free_meetings = [m for m in range(len(arena.meeting_ids)) if m not in arena.locked]
    size_classes = sorted({arena.size(m) for m in free_meetings})
    free_tables = [
        [sum(1 for t, capacity in enumerate(arena.table_capacity)
             if capacity >= k and t not in locked_tables.get(slot, ())) for k in size_classes]
        for slot in range(arena.n_slots)
    ]
    class_count = {m: sum(1 for k in size_classes if k <= arena.size(m)) for m in free_meetings}
    problem = Problem(arena, free_meetings, {}, size_classes, free_tables, locked_busy, class_count)
    for meeting in free_meetings:
        problem.candidates[meeting] = _candidate_slots(problem, meeting)
        problem.candidate_mask[meeting] = sum(1 << slot for slot in problem.candidates[meeting])
    return problem


def _candidate_slots(problem: Problem, meeting: int) -> list[int]:
    mask = problem.arena.common_slots(meeting)
    for person in problem.arena.meeting_participants[meeting]:
        mask &= ~problem.locked_busy[person]
    top_class = len(problem.classes_of(meeting)) - 1
    return [slot for slot in slots_of(mask) if problem.free_tables[slot][top_class] > 0]


class Placement:
    """Free meetings placed into slots, with the bookkeeping to test a move in constant time."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.slot_of: dict[int, int] = {}
        self.busy = list(problem.locked_busy)
        self.holder: dict[tuple[int, int], int] = {}  # (participant, slot) -> free meeting placed there
        self.used = [[0] * len(problem.size_classes) for _ in problem.free_tables]
        self.members: list[set[int]] = [set() for _ in problem.free_tables]  # slot -> meetings placed there

    def copy(self) -> Placement:
        other = Placement.__new__(Placement)
        other.problem = self.problem
        other.slot_of = dict(self.slot_of)
        other.busy = list(self.busy)
        other.holder = dict(self.holder)
        other.used = [list(row) for row in self.used]
        other.members = [set(row) for row in self.members]
        return other

    # people_free, table_free and the moves are the local search's inner loop: plain loops
    # there run about twice as fast as all() over a generator.
    def people_free(self, meeting: int, slot: int) -> bool:
        bit = 1 << slot
        for person in self.problem.arena.meeting_participants[meeting]:  # noqa: SIM110
            if self.busy[person] & bit:
                return False
        return True

    def table_free(self, meeting: int, slot: int) -> bool:
        used, free = self.used[slot], self.problem.free_tables[slot]
        for k in range(self.problem.class_count[meeting]):  # noqa: SIM110
            if used[k] >= free[k]:
                return False
        return True

    def fits(self, meeting: int, slot: int) -> bool:
        return (self.problem.candidate_mask[meeting] >> slot & 1 == 1 and self.people_free(meeting, slot)
                and self.table_free(meeting, slot))

    def place(self, meeting: int, slot: int) -> None:
        self.slot_of[meeting] = slot
        bit, used = 1 << slot, self.used[slot]
        for person in self.problem.arena.meeting_participants[meeting]:
            self.busy[person] |= bit
            self.holder[person, slot] = meeting
        for k in range(self.problem.class_count[meeting]):
            used[k] += 1
        self.members[slot].add(meeting)

    def remove(self, meeting: int) -> int:
        slot = self.slot_of.pop(meeting)
        bit, used = 1 << slot, self.used[slot]
        for person in self.problem.arena.meeting_participants[meeting]:
            self.busy[person] &= ~bit
            del self.holder[person, slot]
        for k in range(self.problem.class_count[meeting]):
            used[k] -= 1
        self.members[slot].discard(meeting)
        return slot

    def blockers(self, meeting: int, slot: int) -> set[int] | None:
        """Placed meetings that share a participant with the meeting in this slot, or None when a
        locked meeting is in the way (it cannot be moved)."""
        found = set()
        for person in self.problem.arena.meeting_participants[meeting]:
            if self.busy[person] >> slot & 1:
                other = self.holder.get((person, slot))
                if other is None:
                    return None
                found.add(other)
        return found
