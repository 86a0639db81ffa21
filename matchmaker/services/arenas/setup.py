"""Creating and changing an arena: its days and sessions, the time slots they make, and tables.

The settings are checked once, by the model in setup_schema, for the pages and the API alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.messages import _
from matchmaker.models import Arena, ArenaSession, ArenaSlot, ArenaTable, Meeting, User
from matchmaker.models.arenas import as_utc
from matchmaker.services.arenas.access import ensure_can_create_arena, ensure_organiser
from matchmaker.services.arenas.setup_schema import MAX_SLOTS, ArenaSettings, SessionSpec
from matchmaker.services.errors import Conflict, ValidationFailed
from matchmaker.services.schemas import validated

DEFAULT_PAIRS = [["supplier", "health"], ["supplier", "funder"], ["health", "funder"]]


def create_arena(session: Session, user: User, data: dict) -> Arena:
    ensure_can_create_arena(user)
    organiser_id = user.organisation_id
    if organiser_id is None:
        raise ValidationFailed(_("Your account belongs to no organisation, so it cannot organise an arena."))
    cleaned = validated(ArenaSettings, data).values()
    arena = Arena(organiser_id=organiser_id, allowed_pairs=DEFAULT_PAIRS, last_run={})
    session.add(arena)
    _apply(session, arena, cleaned)
    return arena


def update_arena(session: Session, user: User, arena: Arena, data: dict) -> Arena:
    ensure_organiser(user, arena)
    _apply(session, arena, validated(ArenaSettings, data).values())
    return arena


def _apply(session: Session, arena: Arena, cleaned: dict) -> None:
    sessions, tables = cleaned.pop("sessions"), cleaned.pop("tables")
    for name, value in cleaned.items():
        setattr(arena, name, value)
    session.flush()
    arena.sessions = [ArenaSession(day=s.day, starts=s.starts, ends=s.ends) for s in sessions]
    _sync_slots(session, arena, sessions)
    _sync_tables(session, arena, tables)
    session.flush()


def slot_times(arena: Arena, sessions: list[SessionSpec]) -> list[tuple[datetime, datetime]]:
    zone, length = ZoneInfo(arena.timezone), timedelta(minutes=arena.meeting_minutes)
    times = []
    for spec in sessions:
        start = datetime.combine(spec.day, spec.starts, zone)
        end = datetime.combine(spec.day, spec.ends, zone)
        while start + length <= end:
            times.append((start.astimezone(UTC), (start + length).astimezone(UTC)))
            start += length
    return times


def _sync_slots(session: Session, arena: Arena, sessions: list[SessionSpec]) -> None:
    """Keeps slots whose times are unchanged, so meetings placed in them stay put."""
    wanted = slot_times(arena, sessions)
    if len(wanted) > MAX_SLOTS:
        raise ValidationFailed(_("Too many slots"), {"sessions": _(
            "These sessions make %(count)d slots; at most %(max)d.", count=len(wanted), max=MAX_SLOTS)})
    if not wanted:
        raise ValidationFailed(_("No slots"), {"sessions": _("No meeting fits in these sessions.")})
    existing = {(slot.start, slot.end): slot for slot in arena.slots}
    dropped = [slot for key, slot in existing.items() if key not in set(wanted)]
    _refuse_if_used(session, [slot.id for slot in dropped], Meeting.slot_id, "sessions")
    for slot in dropped:
        arena.slots.remove(slot)
    session.flush()
    for start, end in wanted:
        if (start, end) not in existing:
            arena.slots.append(ArenaSlot(starts_at=start, ends_at=end))


def _sync_tables(session: Session, arena: Arena, tables: list[tuple[str, int]]) -> None:
    by_name = {table.name: table for table in arena.tables}
    dropped = [table for name, table in by_name.items() if name not in dict(tables)]
    _refuse_if_used(session, [table.id for table in dropped], Meeting.table_id, "tables")
    for table in dropped:
        arena.tables.remove(table)
    for position, (name, capacity) in enumerate(tables):
        table = by_name.get(name) or ArenaTable(name=name)
        if table.id is not None and capacity < table.capacity:
            _refuse_if_too_small(session, table, capacity)
        table.capacity, table.position = capacity, position
        if table.id is None:
            arena.tables.append(table)


def _refuse_if_used(session: Session, ids: list[int], column, field: str) -> None:
    """A conflict with the schedule, not bad input: the same change works once the meetings moved."""
    if not ids:
        return
    count = len(session.scalars(select(Meeting.id).where(column.in_(ids))).all())
    if count:
        raise Conflict(_("Meetings are placed there"), {field: _(
            "%(count)d scheduled meetings use slots or tables this change removes; move or remove them first.",
            count=count)})


def _refuse_if_too_small(session: Session, table: ArenaTable, capacity: int) -> None:
    for meeting in session.scalars(select(Meeting).where(Meeting.table_id == table.id)):
        if len(meeting.seats) > capacity:
            raise Conflict(_("Table too small"), {"three_seat_tables": _(
                "%(table)s holds a three-person meeting; move it before making the table smaller.",
                table=table.display_name)})


def arena_values(arena: Arena) -> dict:
    """The arena as the form and create_arena take it, deadlines in its local time: the page's
    form starts from it, and a partial change through the API is merged into it."""
    values = {name: getattr(arena, name) for name in ("title", "venue", "description", "timezone",
                                                      "meeting_minutes", "max_meetings", "status")}
    values |= {"sessions": sessions_text(arena), "tables": tables_text(arena),
               "three_seat_tables": sum(1 for table in arena.tables if table.capacity == 3),
               "allowed_pairs": ["-".join(sorted(pair)) for pair in arena.allowed_pairs]}
    for name in ("registration_deadline", "request_deadline"):
        moment = local_time(arena, getattr(arena, name))
        values[name] = moment.replace(tzinfo=None) if moment else None
    return values


def local_time(arena: Arena, moment: datetime | None) -> datetime | None:
    return as_utc(moment).astimezone(ZoneInfo(arena.timezone)) if moment else None


def sessions_text(arena: Arena) -> str:
    return "\n".join(f"{s.day.isoformat()} {s.starts:%H:%M}-{s.ends:%H:%M}" for s in arena.sessions)


def tables_text(arena: Arena) -> str:
    return "\n".join(table.name for table in arena.tables)
