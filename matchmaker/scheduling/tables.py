"""Tables for meetings already given slots.

Per slot, locked meetings keep their tables and the others are seated largest first. That order
always succeeds when the slot passed the per-size-class counts (problem.py): whatever fitting
table a larger meeting takes, every smaller meeting could have used it too, so the count of tables
left for the next meeting never drops below the meetings still to seat. Among fitting tables a
meeting prefers one where one of its participants sat in the previous slot (less walking), then
the smallest.
"""

from __future__ import annotations

from matchmaker.scheduling.arena import Arena


class TableOverflow(RuntimeError):
    """A slot holds more meetings than its tables seat; a bug upstream, never a user error."""


def assign_tables(arena: Arena, slot_of: dict[int, int]) -> list[tuple[int, int, int]]:
    """(meeting, slot, table) for locked meetings and for free meetings placed in `slot_of`."""
    assignments = [(m, slot, table) for m, (slot, table) in arena.locked.items()]
    previous_table: dict[int, int] = {}  # participant -> table in the slot just seated
    for slot in range(arena.n_slots):
        seated = {table: m for m, (s, table) in arena.locked.items() if s == slot}
        waiting = sorted((m for m, s in slot_of.items() if s == slot), key=lambda m: (-arena.size(m), m))
        for meeting in waiting:
            table = _choose_table(arena, meeting, seated, previous_table)
            seated[table] = meeting
            assignments.append((meeting, slot, table))
        previous_table = {person: table for table, m in seated.items() for person in arena.meeting_participants[m]}
    return sorted(assignments, key=lambda a: (a[1], a[2]))


def _choose_table(arena: Arena, meeting: int, seated: dict[int, int], previous_table: dict[int, int]) -> int:
    size = arena.size(meeting)
    fitting = [t for t, capacity in enumerate(arena.table_capacity) if capacity >= size and t not in seated]
    if not fitting:
        raise TableOverflow(f"no table left for meeting {arena.meeting_ids[meeting]!r}")
    familiar = {previous_table.get(person) for person in arena.meeting_participants[meeting]}
    return min(fitting, key=lambda t: (t not in familiar, arena.table_capacity[t], t))
