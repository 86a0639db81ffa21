"""Checks a schedule in its JSON form against the arena in its JSON form, independently of how
the scheduler represents either: the tests and the benchmark both trust this and nothing else."""

from __future__ import annotations

from collections import Counter
from typing import Any

TOLERANCE = 1e-6


def validate_schedule(arena: dict, result: dict) -> list[str]:
    """Every broken rule, as readable sentences; an empty list means the schedule is valid."""
    meetings = {m["id"]: m for m in arena["meetings"]}
    problems = _check_assignments(arena, meetings, result.get("assignments", []))
    problems += _check_accounting(meetings, result)
    problems += _check_locked(arena, result.get("assignments", []))
    return problems


def _check_assignments(arena: dict, meetings: dict, assignments: list[dict]) -> list[str]:
    slots = {s["id"] for s in arena["slots"]}
    capacity = {t["id"]: t.get("capacity", 2) for t in arena["tables"]}
    available = {p["id"]: _availability(p, slots) for p in arena["participants"]}
    problems: list[str] = []
    taken: dict[tuple, Any] = {}  # ("table" or "person", id, slot) -> meeting
    for a in assignments:
        meeting, slot, table = a.get("meeting"), a.get("slot"), a.get("table")
        if meeting not in meetings or slot not in slots or table not in capacity:
            problems.append(f"assignment {a} names an unknown meeting, slot or table")
            continue
        people = meetings[meeting]["participants"]
        if len(people) > capacity[table]:
            problems.append(f"meeting {meeting!r} has {len(people)} people at table {table!r} "
                            f"seating {capacity[table]}")
        problems += _double_bookings(taken, meeting, slot, [("table", table)] + [("person", p) for p in people])
        problems += [f"participant {p!r} is not available in slot {slot!r} for {meeting!r}"
                     for p in people if slot not in available.get(p, ())]
    return problems


def _double_bookings(taken: dict, meeting: Any, slot: Any, resources: list[tuple[str, Any]]) -> list[str]:
    """Claims each resource (a table or a participant) in the slot for the meeting."""
    problems = []
    for kind, name in resources:
        other = taken.setdefault((kind, name, slot), meeting)
        if other != meeting:
            problems.append(f"{kind} {name!r} is in both {other!r} and {meeting!r} in slot {slot!r}")
    return problems


def _availability(person: dict, slots: set) -> set:
    return slots if person.get("available") is None else set(person["available"])


def _check_accounting(meetings: dict, result: dict) -> list[str]:
    """Each meeting exactly once, placed or with a reason; objective = priority placed <= bound."""
    placed = [a.get("meeting") for a in result.get("assignments", [])]
    appearances = Counter(placed + [u.get("meeting") for u in result.get("unscheduled", [])])
    problems = [f"{meeting!r} is not a meeting of the arena" for meeting in appearances if meeting not in meetings]
    for meeting in meetings:
        count = appearances[meeting]
        if count != 1:
            problems.append(f"meeting {meeting!r} appears {count} times among assignments and unscheduled")
    problems += [f"unscheduled meeting {u.get('meeting')!r} has no reason" for u in result.get("unscheduled", [])
                 if not isinstance(u.get("reason"), str) or not u["reason"]]
    priority = sum(meetings[m].get("priority", 1) for m in placed if m in meetings)
    objective, bound = result.get("objective"), result.get("bound")
    if not isinstance(objective, int | float) or abs(objective - priority) > TOLERANCE * max(1, priority):
        problems.append(f"objective {objective!r} is not the placed priority {priority}")
    if bound is not None and isinstance(objective, int | float) and objective > bound + TOLERANCE * max(1, bound):
        problems.append(f"objective {objective} exceeds the bound {bound}")
    return problems


def _check_locked(arena: dict, assignments: list[dict]) -> list[str]:
    where = {a.get("meeting"): (a.get("slot"), a.get("table")) for a in assignments}
    return [f"locked meeting {lock['meeting']!r} moved or dropped" for lock in arena.get("locked") or []
            if where.get(lock["meeting"]) != (lock["slot"], lock["table"])]
