"""The arena as the scheduler sees it: slots, tables, participants and meeting requests, read from
plain JSON-like data and checked, so that every later step can work with list indices only.

Ids are kept exactly as given (strings or numbers) for the output; inside, everything is an index.
Slots are put in chronological order, because idle gaps only mean something in time order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from typing import Any

DEFAULT_TABLE_CAPACITY = 2
DEFAULT_PRIORITY = 1


class ArenaError(ValueError):
    """Input that cannot be scheduled as given; the message says what to fix."""


@dataclass(frozen=True)
class Arena:
    slot_ids: list[Any]  # chronological order; a slot's index is its position here
    table_ids: list[Any]
    table_capacity: list[int]
    participant_ids: list[Any]
    available: list[int]  # per participant: bit s set when available in slot s
    meeting_ids: list[Any]  # request order, as given
    meeting_participants: list[tuple[int, ...]]
    priority: list[float]
    locked: dict[int, tuple[int, int]] = field(default_factory=dict)  # meeting -> (slot, table)

    @property
    def n_slots(self) -> int:
        return len(self.slot_ids)

    @property
    def all_slots_mask(self) -> int:
        return (1 << self.n_slots) - 1

    def common_slots(self, meeting: int) -> int:
        """Bit mask of the slots in which every participant of the meeting is available."""
        mask = self.all_slots_mask
        for person in self.meeting_participants[meeting]:
            mask &= self.available[person]
        return mask

    def size(self, meeting: int) -> int:
        return len(self.meeting_participants[meeting])


def load_arena(data: Any) -> Arena:
    """Checks and converts the JSON form of an arena; raises ArenaError with a clear message."""
    if not isinstance(data, dict):
        raise ArenaError("the arena must be a JSON object with slots, tables, participants and meetings")
    slot_ids = _ordered_slot_ids(_records(data, "slots"))
    tables = _records(data, "tables")
    people = _records(data, "participants")
    meetings = _records(data, "meetings")
    indices = {kind: _index([_record_id(record, kind) for record in records], kind)
               for kind, records in (("table", tables), ("participant", people), ("meeting", meetings))}
    indices["slot"] = _index(slot_ids, "slot")
    arena = Arena(
        slot_ids=slot_ids,
        table_ids=list(indices["table"]),
        table_capacity=[_capacity(table) for table in tables],
        participant_ids=list(indices["participant"]),
        available=[_availability(person, indices["slot"]) for person in people],
        meeting_ids=list(indices["meeting"]),
        meeting_participants=[_meeting_participants(meeting, indices["participant"]) for meeting in meetings],
        priority=[_priority(meeting) for meeting in meetings],
    )
    locked = _locked(data.get("locked") or [], indices)
    _check_locked(arena, locked)
    return replace(arena, locked=locked)


def _records(data: dict, key: str) -> list[dict]:
    records = data.get(key)
    if records is None:
        raise ArenaError(f'the arena has no "{key}" list')
    if not isinstance(records, list) or not all(isinstance(record, dict) for record in records):
        raise ArenaError(f'"{key}" must be a list of objects')
    return records


def _is_id(value: Any) -> bool:
    # bool is a subclass of int, and True == 1 would silently merge two ids.
    if isinstance(value, bool):
        return False
    return isinstance(value, str | int) or (isinstance(value, float) and math.isfinite(value))


def _record_id(record: dict, kind: str) -> Any:
    value = record.get("id")
    if not _is_id(value):
        raise ArenaError(f"every {kind} needs an id that is a string or a number, got {record!r}")
    return value


def _index(ids: list[Any], kind: str) -> dict[Any, int]:
    index: dict[Any, int] = {}
    for position, value in enumerate(ids):
        if value in index:
            raise ArenaError(f"{kind} id {value!r} appears twice")
        index[value] = position
    return index


def _lookup(index: dict[Any, int], value: Any, kind: str, where: str) -> int:
    if not _is_id(value) or value not in index:
        raise ArenaError(f"{where} refers to unknown {kind} {value!r}")
    return index[value]


def _ordered_slot_ids(slots: list[dict]) -> list[Any]:
    ids = [_record_id(slot, "slot") for slot in slots]
    timed = [slot for slot in slots if "start" in slot or "end" in slot]
    if not timed:
        return ids  # no times at all: the list order is the time order
    if len(timed) != len(slots):
        raise ArenaError("either every slot has a start and an end, or none has")
    spans = [(_moment(slot, "start"), _moment(slot, "end"), slot["id"]) for slot in slots]
    try:
        order = sorted(range(len(spans)), key=lambda position: spans[position][:2])
        _check_no_overlap([spans[position] for position in order])
    except TypeError:
        raise ArenaError(
            "slot times must all be of one kind: all numbers, all times of day, or all dates with times"
        ) from None
    return [ids[position] for position in order]


def _check_no_overlap(spans: list[tuple]) -> None:
    for start, end, slot_id in spans:
        if not start < end:
            raise ArenaError(f"slot {slot_id!r} does not end after it starts")
    for (_, end, earlier), (start, _, later) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise ArenaError(f"slots {earlier!r} and {later!r} overlap in time")


def _moment(slot: dict, key: str) -> Any:
    value = slot.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        for parse in (datetime.fromisoformat, time.fromisoformat):
            try:
                return parse(value)
            except ValueError:
                continue
    raise ArenaError(f"slot {slot.get('id')!r}: {key} {value!r} is neither a number nor an ISO time")


def _capacity(table: dict) -> int:
    capacity = table.get("capacity", DEFAULT_TABLE_CAPACITY)
    if isinstance(capacity, float) and capacity.is_integer():
        capacity = int(capacity)  # some JSON writers print every number as a float
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        raise ArenaError(f"table {table['id']!r}: capacity must be a positive whole number, got {capacity!r}")
    return capacity


def _availability(person: dict, slot_index: dict[Any, int]) -> int:
    if "available" not in person or person["available"] is None:
        return (1 << len(slot_index)) - 1
    slots = person["available"]
    if not isinstance(slots, list):
        raise ArenaError(f"participant {person['id']!r}: available must be a list of slot ids")
    mask = 0
    for slot in slots:
        mask |= 1 << _lookup(slot_index, slot, "slot", f"participant {person['id']!r}")
    return mask


def _meeting_participants(meeting: dict, person_index: dict[Any, int]) -> tuple[int, ...]:
    where = f"meeting {meeting['id']!r}"
    people = meeting.get("participants")
    if not isinstance(people, list) or len(people) < 2:
        raise ArenaError(f"{where}: participants must be a list of at least two participant ids")
    indices = tuple(_lookup(person_index, person, "participant", where) for person in people)
    if len(set(indices)) != len(indices):
        raise ArenaError(f"{where} lists a participant twice")
    return indices


def _priority(meeting: dict) -> float:
    value = meeting.get("priority", DEFAULT_PRIORITY)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ArenaError(f"meeting {meeting['id']!r}: priority must be a number >= 0, got {value!r}")
    return value


def _locked(records: Any, indices: dict[str, dict[Any, int]]) -> dict[int, tuple[int, int]]:
    if not isinstance(records, list) or not all(isinstance(record, dict) for record in records):
        raise ArenaError('"locked" must be a list of {"meeting", "slot", "table"} objects')
    locked: dict[int, tuple[int, int]] = {}
    for record in records:
        meeting = _lookup(indices["meeting"], record.get("meeting"), "meeting", "a locked entry")
        where = f"locked meeting {record['meeting']!r}"
        if meeting in locked:
            raise ArenaError(f"{where} is locked twice")
        locked[meeting] = (_lookup(indices["slot"], record.get("slot"), "slot", where),
                           _lookup(indices["table"], record.get("table"), "table", where))
    return locked


def _check_locked(arena: Arena, locked: dict[int, tuple[int, int]]) -> None:
    """A locked meeting must itself be possible, and two locked meetings must not collide."""
    table_taken: dict[tuple[int, int], int] = {}
    person_taken: dict[tuple[int, int], int] = {}
    for meeting, (slot, table) in locked.items():
        name = f"locked meeting {arena.meeting_ids[meeting]!r}"
        for person in arena.meeting_participants[meeting]:
            holder = person_taken.setdefault((person, slot), meeting)
            _check_locked_person(arena, name, person, slot, holder if holder != meeting else None)
        if arena.table_capacity[table] < arena.size(meeting):
            raise ArenaError(f"{name} has {arena.size(meeting)} participants but table "
                             f"{arena.table_ids[table]!r} seats {arena.table_capacity[table]}")
        other = table_taken.setdefault((slot, table), meeting)
        if other != meeting:
            raise ArenaError(f"{name} and locked meeting {arena.meeting_ids[other]!r} are both locked to table "
                             f"{arena.table_ids[table]!r} in slot {arena.slot_ids[slot]!r}")


def _check_locked_person(arena: Arena, name: str, person: int, slot: int, other: int | None) -> None:
    """The participant is available in the slot and not held there by another locked meeting."""
    who, when = arena.participant_ids[person], arena.slot_ids[slot]
    if not arena.available[person] >> slot & 1:
        raise ArenaError(f"{name}: participant {who!r} is not available in slot {when!r}")
    if other is not None:
        raise ArenaError(f"{name} and locked meeting {arena.meeting_ids[other]!r} both need participant "
                         f"{who!r} in slot {when!r}")
