"""Creating and changing an arena: its days and sessions, the time slots they make, and tables.

The pages send sessions and tables as the text the form takes; the API sends them as lists. Both
go through the same checks here, so the two refuse and allow the same arenas."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker import i18n
from matchmaker.models import Arena, ArenaSession, ArenaSlot, ArenaTable, Meeting, User
from matchmaker.models.arenas import as_utc
from matchmaker.services.arenas.access import ensure_can_create_arena, ensure_organiser
from matchmaker.services.errors import Conflict, ValidationFailed
from matchmaker.vocabulary import ARENA_STATUSES, PARTICIPANT_GROUPS

SESSION_LINE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s+(\d{1,2}[:.]\d{2})\s*[-–]\s*(\d{1,2}[:.]\d{2})\s*$")
MAX_TABLES = 500
MAX_SLOTS = 200
DEFAULT_PAIRS = [["supplier", "health"], ["supplier", "funder"], ["health", "funder"]]


@dataclass
class SessionSpec:
    day: date
    starts: time
    ends: time


def create_arena(session: Session, user: User, data: dict) -> Arena:
    ensure_can_create_arena(user)
    organiser_id = user.organisation_id
    if organiser_id is None:
        raise ValidationFailed(_("Your account belongs to no organisation, so it cannot organise an arena."))
    cleaned = _clean(data)
    arena = Arena(organiser_id=organiser_id, allowed_pairs=DEFAULT_PAIRS, last_run={})
    session.add(arena)
    _apply(session, arena, cleaned)
    return arena


def update_arena(session: Session, user: User, arena: Arena, data: dict) -> Arena:
    ensure_organiser(user, arena)
    _apply(session, arena, _clean(data))
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


def _clean(data: dict) -> dict:
    errors: dict[str, str] = {}
    cleaned = {
        "title": _required_text(data, "title", 200, errors),
        "venue": (data.get("venue") or "").strip()[:300],
        "description": (data.get("description") or "").strip(),
        "timezone": _timezone(data.get("timezone") or "Europe/Oslo", errors),
        "meeting_minutes": _number(data, "meeting_minutes", 5, 240, errors) or 20,
        "max_meetings": _number(data, "max_meetings", 1, 100, errors, required=False),
        "status": data.get("status") if data.get("status") in ARENA_STATUSES else "draft",
        "allowed_pairs": _pairs(data.get("allowed_pairs"), errors),
    }
    zone = ZoneInfo(cleaned["timezone"]) if "timezone" not in errors else UTC
    for name in ("registration_deadline", "request_deadline"):
        cleaned[name] = _local_moment(data.get(name), zone)
    cleaned["sessions"] = _sessions(data.get("sessions") or "", errors)
    cleaned["tables"] = _tables(data.get("tables") or "", data.get("three_seat_tables"), errors)
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors)
    return cleaned


def _required_text(data: dict, name: str, limit: int, errors: dict) -> str:
    value = (data.get(name) or "").strip()
    if not value:
        errors[name] = _("This field is required.")
    elif len(value) > limit:
        errors[name] = _("At most %(count)d characters.", count=limit)
    return value


def _timezone(name: str, errors: dict) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = _("Unknown time zone %(name)s; use a name such as Europe/Oslo.", name=name)
    return name


def _number(data: dict, name: str, low: int, high: int, errors: dict, required: bool = True) -> int | None:
    value = data.get(name)
    if value in (None, ""):
        if required:
            errors[name] = _("This field is required.")
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        errors[name] = _("A whole number from %(low)d to %(high)d.", low=low, high=high)
        return None
    return number


def _pairs(value, errors: dict) -> list[list[str]]:
    codes = value if isinstance(value, list | tuple) else []
    pairs = []
    for code in codes:
        first, _dash, second = str(code).partition("-")
        if first not in PARTICIPANT_GROUPS or second not in PARTICIPANT_GROUPS:
            errors["allowed_pairs"] = _("Unknown pair of groups: %(code)s.", code=code)
            continue
        pairs.append(sorted([first, second]))
    if not pairs and "allowed_pairs" not in errors:
        errors["allowed_pairs"] = _("Choose at least one pair of groups who may meet.")
    return pairs


def _local_moment(value, zone: ZoneInfo) -> datetime | None:
    """A deadline typed in the arena's local time, stored in UTC."""
    if not value:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def _sessions(value, errors: dict) -> list[SessionSpec]:
    """Sessions as the form's lines, or already read (the API's)."""
    sessions = list(value) if isinstance(value, list | tuple) else _session_lines(value, errors)
    if "sessions" in errors:
        return []
    for number, spec in enumerate(sessions, start=1):
        if spec.starts >= spec.ends:
            errors["sessions"] = _("Session %(number)d ends before it starts.", number=number)
            return []
    if not sessions:
        errors["sessions"] = _("Add at least one session, e.g. 2026-03-12 09:00-12:00.")
    sessions.sort(key=lambda s: (s.day, s.starts))
    for before, after in zip(sessions, sessions[1:], strict=False):
        if before.day == after.day and after.starts < before.ends:
            errors["sessions"] = _("Sessions on %(day)s overlap.", day=i18n.day(after.day))
    return sessions


def _session_lines(text: str, errors: dict) -> list[SessionSpec]:
    sessions = []
    for number, line in enumerate(filter(str.strip, text.splitlines()), start=1):
        match = SESSION_LINE.match(line)
        try:
            day = date.fromisoformat(match.group(1)) if match else None
            starts, ends = (time.fromisoformat(match.group(i).replace(".", ":").zfill(5)) for i in (2, 3)) \
                if match else (None, None)
        except ValueError:
            day = None
        if day is None or starts >= ends:
            errors["sessions"] = _("Line %(number)d: write a session as 2026-03-12 09:00-12:00.", number=number)
            return []
        sessions.append(SessionSpec(day, starts, ends))
    return sessions


TABLE_NAME_LIMIT = 100  # the width of the column


def _tables(value, three_seat, errors: dict) -> list[tuple[str, int]]:
    """Tables as the form's number or lines of names, or as a list of names (the API's)."""
    names = [str(name).strip() for name in value if str(name).strip()] if isinstance(value, list | tuple) \
        else _table_lines(value)
    if any(len(name) > TABLE_NAME_LIMIT for name in names):
        errors["tables"] = _("A table name has at most %(count)d characters.", count=TABLE_NAME_LIMIT)
    elif not names or len(names) > MAX_TABLES:
        errors["tables"] = _("Give a number of tables (1 to %(max)d) or one name per line.", max=MAX_TABLES)
    elif len(set(names)) != len(names):
        errors["tables"] = _("Two tables have the same name.")
    try:
        larger = int(three_seat or 0)
    except (TypeError, ValueError):
        larger = -1
    if not 0 <= larger <= len(names):
        errors["three_seat_tables"] = _("A whole number from %(low)d to %(high)d.", low=0, high=len(names))
    return [(name, 3 if position < larger else 2) for position, name in enumerate(names)]


def _table_lines(text: str) -> list[str]:
    text = text.strip()
    # isdecimal, not isdigit: "²" is a digit that int() cannot read
    if text.isdecimal() and int(text) <= MAX_TABLES:
        return [f"{_('Table')} {n}" for n in range(1, int(text) + 1)]
    return [line.strip() for line in text.splitlines() if line.strip()]


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
