"""First come, first served: the self-booking that organisers use without a scheduler, kept as the
yardstick for the optimiser."""

from __future__ import annotations

from matchmaker.scheduling.arena import Arena
from matchmaker.scheduling.problem import slots_of
from matchmaker.scheduling.result import Schedule, finish


def first_fit(arena: Arena) -> Schedule:
    """Locked meetings stay; every other meeting, in request order, takes the earliest slot its
    participants all have free and there the first free table that seats it."""
    assignments = [(m, slot, table) for m, (slot, table) in arena.locked.items()]
    busy = [0] * len(arena.participant_ids)
    taken = {(slot, table) for _, slot, table in assignments}
    for m, slot, _ in assignments:
        for person in arena.meeting_participants[m]:
            busy[person] |= 1 << slot
    for meeting in range(len(arena.meeting_ids)):
        if meeting in arena.locked:
            continue
        spot = _first_spot(arena, meeting, busy, taken)
        if spot is not None:
            slot, table = spot
            assignments.append((meeting, slot, table))
            taken.add(spot)
            for person in arena.meeting_participants[meeting]:
                busy[person] |= 1 << slot
    return finish(arena, sorted(assignments, key=lambda a: (a[1], a[2])))


def _first_spot(arena: Arena, meeting: int, busy: list[int], taken: set) -> tuple[int, int] | None:
    free = arena.common_slots(meeting)
    for person in arena.meeting_participants[meeting]:
        free &= ~busy[person]
    size = arena.size(meeting)
    for slot in slots_of(free):
        for table, capacity in enumerate(arena.table_capacity):
            if capacity >= size and (slot, table) not in taken:
                return slot, table
    return None
