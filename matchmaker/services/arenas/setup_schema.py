"""What an arena's settings may be: the one check of creating and changing an arena.

The pages send sessions and tables as the text the form takes; the API sends them as lists. Both
go through this model, so the two refuse and allow the same arenas; the page form and the API's
document take their bounds from the constants here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from matchmaker import i18n
from matchmaker.messages import _
from matchmaker.vocabulary import ARENA_STATUSES, PARTICIPANT_GROUPS

SESSION_LINE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s+(\d{1,2}[:.]\d{2})\s*[-–]\s*(\d{1,2}[:.]\d{2})\s*$")
TITLE_LIMIT, VENUE_LIMIT, DESCRIPTION_LIMIT = 200, 300, 5000
MINUTES_RANGE, MEETINGS_RANGE = (5, 240), (1, 100)
MAX_TABLES = 500
MAX_SLOTS = 200
TABLE_NAME_LIMIT = 100  # the width of the column


@dataclass
class SessionSpec:
    day: date
    starts: time
    ends: time


class ArenaSettings(BaseModel):
    """Every field has a default so that a missing one gets this service's own message. Field
    order matters: deadlines are read in the time zone, and table_names comes before tables."""

    model_config = ConfigDict(validate_default=True)

    title: str = ""
    venue: str = ""
    description: str = ""
    timezone: str = ""
    meeting_minutes: int | None = None
    max_meetings: int | None = None
    status: str = ""
    allowed_pairs: Any = None
    registration_deadline: datetime | None = None
    request_deadline: datetime | None = None
    sessions: Any = ""
    # The tables as read, before any check: the range of three_seat_tables holds even when the
    # names themselves are refused.
    table_names: list[str] = Field(default_factory=list, exclude=True)
    tables: list[str] = Field(default_factory=list)
    three_seat_tables: int = 0

    @model_validator(mode="before")
    @classmethod
    def _read_tables(cls, data: Any) -> Any:
        names = _table_names(data.get("tables") or "")
        return {**data, "table_names": names, "tables": names}

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> str:
        title = (value or "").strip()
        if not title:
            raise ValueError(_("This field is required."))
        return _fits(title, TITLE_LIMIT)

    @field_validator("venue", mode="before")
    @classmethod
    def _venue(cls, value: Any) -> str:
        return (value or "").strip()[:VENUE_LIMIT]

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value: Any) -> str:
        return _fits((value or "").strip(), DESCRIPTION_LIMIT)

    @field_validator("timezone", mode="before")
    @classmethod
    def _timezone(cls, value: Any) -> str:
        name = value or "Europe/Oslo"
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(_("Unknown time zone %(name)s; use a name such as Europe/Oslo.", name=name)) from None
        return name

    @field_validator("meeting_minutes", mode="before")
    @classmethod
    def _meeting_minutes(cls, value: Any) -> int:
        if value in (None, ""):
            raise ValueError(_("This field is required."))
        return _number(value, *MINUTES_RANGE)

    @field_validator("max_meetings", mode="before")
    @classmethod
    def _max_meetings(cls, value: Any) -> int | None:
        return None if value in (None, "") else _number(value, *MEETINGS_RANGE)

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> str:
        return value if value in ARENA_STATUSES else "draft"

    @field_validator("allowed_pairs", mode="before")
    @classmethod
    def _allowed_pairs(cls, value: Any) -> list[list[str]]:
        return _pairs(value)

    @field_validator("registration_deadline", "request_deadline", mode="before")
    @classmethod
    def _deadline(cls, value: Any, info: ValidationInfo) -> datetime | None:
        zone = ZoneInfo(info.data["timezone"]) if "timezone" in info.data else UTC
        return _local_moment(value, zone)

    @field_validator("sessions", mode="before")
    @classmethod
    def _sessions(cls, value: Any) -> list[SessionSpec]:
        return _sessions(value or "")

    @field_validator("tables")
    @classmethod
    def _tables(cls, names: list[str]) -> list[str]:
        if any(len(name) > TABLE_NAME_LIMIT for name in names):
            raise ValueError(_("A table name has at most %(count)d characters.", count=TABLE_NAME_LIMIT))
        if not names or len(names) > MAX_TABLES:
            raise ValueError(_("Give a number of tables (1 to %(max)d) or one name per line.", max=MAX_TABLES))
        if len(set(names)) != len(names):
            raise ValueError(_("Two tables have the same name."))
        return names

    @field_validator("three_seat_tables", mode="before")
    @classmethod
    def _three_seat_tables(cls, value: Any, info: ValidationInfo) -> int:
        count = len(info.data.get("table_names", []))
        try:
            larger = int(value or 0)
        except (TypeError, ValueError):
            larger = -1
        if not 0 <= larger <= count:
            raise ValueError(_("A whole number from %(low)d to %(high)d.", low=0, high=count))
        return larger

    def values(self) -> dict:
        """The settings as the arena stores them: each table with its seats."""
        values = self.model_dump(exclude={"sessions", "tables", "three_seat_tables"})
        seats = [(name, 3 if position < self.three_seat_tables else 2) for position, name in enumerate(self.tables)]
        return {**values, "sessions": self.sessions, "tables": seats}


def _fits(text: str, limit: int) -> str:
    if len(text) > limit:
        raise ValueError(_("At most %(count)d characters.", count=limit))
    return text


def _number(value: Any, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        raise ValueError(_("A whole number from %(low)d to %(high)d.", low=low, high=high))
    return number


def _pairs(value: Any) -> list[list[str]]:
    codes = value if isinstance(value, list | tuple) else []
    pairs, unknown = [], []
    for code in codes:
        first, _dash, second = str(code).partition("-")
        if first in PARTICIPANT_GROUPS and second in PARTICIPANT_GROUPS:
            pairs.append(sorted([first, second]))
        else:
            unknown.append(code)
    if unknown:  # the last one named, as the form has always said
        raise ValueError(_("Unknown pair of groups: %(code)s.", code=unknown[-1]))
    if not pairs:
        raise ValueError(_("Choose at least one pair of groups who may meet."))
    return pairs


def _local_moment(value: Any, zone: ZoneInfo) -> datetime | None:
    """A deadline typed in the arena's local time, stored in UTC."""
    if not value:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def _sessions(value: Any) -> list[SessionSpec]:
    """Sessions as the form's lines, or already read (the API's)."""
    sessions = list(value) if isinstance(value, list | tuple) else _session_lines(value)
    for number, spec in enumerate(sessions, start=1):
        if spec.starts >= spec.ends:
            raise ValueError(_("Session %(number)d ends before it starts.", number=number))
    if not sessions:
        raise ValueError(_("Add at least one session, e.g. 2026-03-12 09:00-12:00."))
    sessions.sort(key=lambda s: (s.day, s.starts))
    overlaps = [after.day for before, after in zip(sessions, sessions[1:], strict=False)
                if before.day == after.day and after.starts < before.ends]
    if overlaps:  # the last day named, as the form has always said
        raise ValueError(_("Sessions on %(day)s overlap.", day=i18n.day(overlaps[-1])))
    return sessions


def _session_lines(text: str) -> list[SessionSpec]:
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
            raise ValueError(_("Line %(number)d: write a session as 2026-03-12 09:00-12:00.", number=number))
        sessions.append(SessionSpec(day, starts, ends))
    return sessions


def _table_names(value: Any) -> list[str]:
    """Tables as the form's number or lines of names, or as a list of names (the API's)."""
    if isinstance(value, list | tuple):
        return [str(name).strip() for name in value if str(name).strip()]
    text = str(value).strip()
    # isdecimal, not isdigit: "²" is a digit that int() cannot read
    if text.isdecimal() and int(text) <= MAX_TABLES:
        return [f"{_('Table')} {n}" for n in range(1, int(text) + 1)]
    return [line.strip() for line in text.splitlines() if line.strip()]
