"""How a schedule treats the participants, beyond total priority."""

from __future__ import annotations

from matchmaker.scheduling.arena import Arena
from matchmaker.scheduling.problem import slots_of
from matchmaker.scheduling.result import Schedule


def busy_masks(arena: Arena, schedule: Schedule) -> list[int]:
    busy = [0] * len(arena.participant_ids)
    for meeting, slot, _ in schedule.assignments:
        for person in arena.meeting_participants[meeting]:
            busy[person] |= 1 << slot
    return busy


def idle_gaps(arena: Arena, schedule: Schedule) -> int:
    """Idle stretches between two meetings of a participant, summed over participants. Only slots
    the participant is available in count: being away between meetings is not idling."""
    gaps = 0
    for person, busy in enumerate(busy_masks(arena, schedule)):
        pattern = [busy >> slot & 1 for slot in slots_of(arena.available[person])]
        runs = sum(1 for i, b in enumerate(pattern) if b and (i == 0 or not pattern[i - 1]))
        gaps += max(0, runs - 1)
    return gaps


def unmet_participants(arena: Arena, schedule: Schedule) -> list:
    """Ids of participants who asked for or were asked to at least one meeting but got none."""
    asked = {person for people in arena.meeting_participants for person in people}
    busy = busy_masks(arena, schedule)
    return [arena.participant_ids[p] for p in sorted(asked) if not busy[p]]


def finishing_slots(arena: Arena, schedule: Schedule) -> list[int]:
    """For each participant with a meeting, how many slots of the day have begun when their last
    meeting ends (1 when it is in the first slot): lower is an earlier day's end."""
    return [busy.bit_length() for busy in busy_masks(arena, schedule) if busy]
