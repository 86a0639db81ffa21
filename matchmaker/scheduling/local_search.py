"""Local search on a placement, judged by the scheduler's lexicographic goal: placed priority, then
participants with at least one meeting, then fewest runs of meetings (a participant with k runs
has k - 1 idle gaps; only slots the participant is available in count, being away is not idling).

Moves: insert an unplaced meeting, moving (or dropping) the one or two meetings in its way; move a
placed meeting to another slot; swap the slots of two meetings that share a participant. A move
is kept only when it improves the goal, so the search can never lose priority.
"""

from __future__ import annotations

import time

from matchmaker.scheduling.heuristics import by_urgency, unplaced
from matchmaker.scheduling.problem import Placement, slots_of

MAX_BLOCKERS = 2  # larger ejection chains cost more than they find; CP-SAT searches those better


class _Journal:
    """Records moves on a placement so a rejected attempt can be taken back exactly."""

    def __init__(self, placement: Placement):
        self.placement = placement
        self.log: list[tuple[int, int | None]] = []  # (meeting, slot it came from, or None if new)

    def remove(self, meeting: int) -> None:
        self.log.append((meeting, self.placement.remove(meeting)))

    def place(self, meeting: int, slot: int) -> None:
        self.placement.place(meeting, slot)
        self.log.append((meeting, None))

    def rollback(self) -> None:
        for meeting, came_from in reversed(self.log):
            if came_from is None:
                self.placement.remove(meeting)
            else:
                self.placement.place(meeting, came_from)
        self.log.clear()


def _jumps(available: list[int]) -> list[tuple[int, int]]:
    """(slot, previous available slot) wherever the two are not neighbours."""
    return [(slot, previous) for previous, slot in zip(available, available[1:], strict=False) if slot != previous + 1]


class LocalSearch:
    def __init__(self, placement: Placement, weights: list[int]):
        self.placement = placement
        self.weights = weights
        self.arena = placement.problem.arena
        self.jumps = [_jumps(slots_of(mask)) for mask in self.arena.available]

    def run(self, deadline: float) -> None:
        """Passes over all moves until a pass finds nothing or the deadline passes."""
        while time.monotonic() < deadline:
            improved = False
            for meeting in by_urgency(self.placement.problem, unplaced(self.placement)):
                if time.monotonic() >= deadline:
                    return
                improved |= self._insert(meeting)
            for meeting in sorted(self.placement.slot_of):
                if time.monotonic() >= deadline:
                    return
                improved |= self._move(meeting) or self._swap(meeting)
            if not improved:
                return

    def _runs(self, person: int, busy: int | None = None) -> int:
        """Busy slots whose previous slot is not busy, corrected where the participant was away
        in between: there the previous slot that counts is their previous available one. `busy`
        is the participant's busy mask as it stands, or as a move would leave it."""
        busy = self.placement.busy[person] if busy is None else busy
        runs = (busy & ~(busy << 1)).bit_count()
        for slot, previous in self.jumps[person]:
            runs -= busy >> slot & busy >> previous & 1
        return runs

    def spread(self) -> tuple[int, int]:
        """(participants with a meeting, runs of meetings) over everyone: the secondary goals."""
        covered, runs = self._spread(set(range(len(self.arena.participant_ids))))
        return covered, -runs

    def _spread(self, people: set[int]) -> tuple[int, int]:
        """(participants with a meeting, minus runs) over the given people: larger is better."""
        covered = sum(1 for person in people if self.placement.busy[person])
        return covered, -sum(self._runs(person) for person in people)

    def _people(self, meetings) -> set[int]:
        return {p for m in meetings for p in self.arena.meeting_participants[m]}

    def _try(self, journal: _Journal, gain: int, people: set[int], before: tuple[int, int]) -> bool:
        """Keeps the journalled change when (priority gain, spread change) beats standing still."""
        covered, runs = self._spread(people)
        if (gain, covered - before[0], runs - before[1]) > (0, 0, 0):
            return True
        journal.rollback()
        return False

    def _shift_runs(self, people, leave: int, enter: int) -> int:
        """How the runs of these people change if they leave slot `leave` for slot `enter`."""
        change = 0
        for person in people:
            busy = self.placement.busy[person]
            change += self._runs(person, busy & ~(1 << leave) | 1 << enter) - self._runs(person, busy)
        return change

    def _move(self, meeting: int) -> bool:
        """Moves the meeting to the slot that most lowers its participants' runs, if any does.
        Moves are judged on bit masks first; only the chosen one touches the placement."""
        placement, home = self.placement, self.placement.slot_of[meeting]
        people = self.arena.meeting_participants[meeting]
        best_slot, best_change = home, 0
        for slot in placement.problem.candidates[meeting]:
            if slot != home and placement.fits(meeting, slot):
                change = self._shift_runs(people, home, slot)
                if change < best_change:
                    best_slot, best_change = slot, change
        if best_slot == home:
            return False
        placement.remove(meeting)
        placement.place(meeting, best_slot)
        return True

    def _swap(self, meeting: int) -> bool:
        """Swaps slots with another meeting of one of its participants when that lowers runs.
        Shared participants stay busy in both slots; only the others' runs change."""
        placement, home = self.placement, self.placement.slot_of[meeting]
        partners = {placement.holder.get((p, s)) for p in self.arena.meeting_participants[meeting]
                    for s in slots_of(placement.busy[p]) if s != home}
        for other in sorted(partners - {None}):
            there = placement.slot_of[other]
            mine, theirs = set(self.arena.meeting_participants[meeting]), set(self.arena.meeting_participants[other])
            change = self._shift_runs(mine - theirs, home, there) + self._shift_runs(theirs - mine, there, home)
            if change < 0 and self._swap_if_possible(meeting, other):
                return True
        return False

    def _swap_if_possible(self, meeting: int, other: int) -> bool:
        journal = _Journal(self.placement)
        home, there = self.placement.slot_of[meeting], self.placement.slot_of[other]
        journal.remove(meeting)
        journal.remove(other)
        if self.placement.fits(meeting, there):
            journal.place(meeting, there)
            if self.placement.fits(other, home):
                journal.place(other, home)
                return True
        journal.rollback()
        return False

    def _insert(self, meeting: int) -> bool:
        return any(self._insert_at(meeting, slot) for slot in self.placement.problem.candidates[meeting])

    def _insert_at(self, meeting: int, slot: int) -> bool:
        """Places the meeting in the slot, first moving what is in its way elsewhere if it can,
        dropping it if it cannot; kept only if that improves the goal."""
        blockers = self.placement.blockers(meeting, slot)
        if blockers is None or len(blockers) > MAX_BLOCKERS:
            return False
        displaced = sorted(blockers)
        people = self._people([meeting, *displaced])
        before = self._spread(people)
        journal = _Journal(self.placement)
        for other in displaced:
            journal.remove(other)
        if not self.placement.table_free(meeting, slot):
            occupant = self._cheapest_occupant(meeting, slot)
            if occupant is None:
                journal.rollback()
                return False
            before = self._add(before, self._spread(self._people([occupant])))
            people |= self._people([occupant])
            journal.remove(occupant)
            displaced.append(occupant)
        journal.place(meeting, slot)
        dropped = [other for other in displaced if not self._relocate(journal, other)]
        gain = self.weights[meeting] - sum(self.weights[other] for other in dropped)
        return self._try(journal, gain, people, before)

    @staticmethod
    def _add(spread: tuple[int, int], more: tuple[int, int]) -> tuple[int, int]:
        """Spreads of disjoint groups add up. A table occupant shares no participant with the
        meeting or its blockers (all are in one slot), so its spread is unchanged so far."""
        return spread[0] + more[0], spread[1] + more[1]

    def _cheapest_occupant(self, meeting: int, slot: int) -> int | None:
        """The lowest-priority meeting in the slot whose table would seat this one."""
        size = self.arena.size(meeting)
        occupants = [m for m in self.placement.members[slot] if self.arena.size(m) >= size]
        return min(occupants, key=lambda m: (self.weights[m], m), default=None)

    def _relocate(self, journal: _Journal, meeting: int) -> bool:
        for slot in self.placement.problem.candidates[meeting]:
            if self.placement.fits(meeting, slot):
                journal.place(meeting, slot)
                return True
        return False
