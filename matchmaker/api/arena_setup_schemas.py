"""What the arena setup endpoints read: an arena's settings, whole (create) or in part (change),
and a held meeting's attendance. The bounds are the page form's, so the OpenAPI document states
them; the arena services check them again, with the rules that need more than one field."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import Field

from matchmaker.api.arena_schemas import PlacedMeeting, Request, _placed
from matchmaker.models import Meeting
from matchmaker.services.arenas.agenda import OUTCOME_NOTE_LIMIT
from matchmaker.services.arenas.setup_schema import (
    DESCRIPTION_LIMIT,
    MAX_SLOTS,
    MAX_TABLES,
    MEETINGS_RANGE,
    MINUTES_RANGE,
    TABLE_NAME_LIMIT,
    TITLE_LIMIT,
    VENUE_LIMIT,
    SessionSpec,
)
from matchmaker.vocabulary import ARENA_STATUSES, ATTENDANCE, GROUP_PAIRS, MEETING_OUTCOMES

Title = Annotated[str, Field(min_length=1, max_length=TITLE_LIMIT)]
Venue = Annotated[str, Field(max_length=VENUE_LIMIT, description="Where the arena takes place.")]
Description = Annotated[str, Field(max_length=DESCRIPTION_LIMIT)]
TimeZone = Annotated[str, Field(min_length=1, max_length=64, description="A time zone name such as Europe/Oslo; "
                                "the sessions and deadlines are in it.")]
MeetingMinutes = Annotated[int, Field(ge=MINUTES_RANGE[0], le=MINUTES_RANGE[1],
                                      description="The length of every slot.")]
MaxMeetings = Annotated[int, Field(ge=MEETINGS_RANGE[0], le=MEETINGS_RANGE[1],
                                   description="The most meetings a participant may have.")]
Deadline = Annotated[datetime, Field(description="Without an offset, in the arena's local time.")]
# Whole minutes, without an offset: a session's times are the arena's local times.
Clock = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["09:00"])]
TableName = Annotated[str, Field(min_length=1, max_length=TABLE_NAME_LIMIT, pattern=r"^[^\r\n]*\S[^\r\n]*$")]
Status = Literal[tuple(ARENA_STATUSES)]
Pair = Literal[tuple(GROUP_PAIRS)]
DEFAULT_PAIRS = ["health-supplier", "funder-supplier", "funder-health"]


class SessionInput(Request):
    day: date
    starts: Clock
    ends: Clock

    def spec(self) -> SessionSpec:
        return SessionSpec(self.day, time.fromisoformat(self.starts), time.fromisoformat(self.ends))


Sessions = Annotated[list[SessionInput], Field(
    min_length=1, max_length=MAX_SLOTS, description="The times meetings take place; the gaps between them are "
    "breaks. The sessions are cut into slots of meeting_minutes.")]
Tables = Annotated[list[TableName], Field(min_length=1, max_length=MAX_TABLES,
                                          description="The names of the tables or rooms, in order.")]
ThreeSeatTables = Annotated[int, Field(ge=0, le=MAX_TABLES, description="How many of the first tables seat a "
                                       "third person.")]
Pairs = Annotated[list[Pair], Field(min_length=1, max_length=len(GROUP_PAIRS),
                                    description="Which groups may meet each other.")]


class ArenaInput(Request):
    title: Title
    venue: Venue = ""
    description: Description = ""
    timezone: TimeZone = "Europe/Oslo"
    meeting_minutes: MeetingMinutes = 20
    sessions: Sessions
    tables: Tables
    three_seat_tables: ThreeSeatTables = 0
    registration_deadline: Deadline | None = None
    request_deadline: Deadline | None = Field(default=None, description="Unanswered requests expire then; "
                                              "without an offset, in the arena's local time.")
    max_meetings: MaxMeetings | None = None
    allowed_pairs: Pairs = Field(default_factory=lambda: list(DEFAULT_PAIRS))
    status: Status = "draft"


class ArenaUpdate(Request):
    """Fields left out keep their value; null clears a deadline or the cap on meetings. Slots and
    tables that placed meetings use cannot be removed (409)."""

    # The defaults are never validated, so leaving a field out is allowed where null is not.
    title: Title = None
    venue: Venue = None
    description: Description = None
    timezone: TimeZone = None
    meeting_minutes: MeetingMinutes = None
    sessions: Sessions = None
    tables: Tables = None
    three_seat_tables: ThreeSeatTables = None
    registration_deadline: Deadline | None = None
    request_deadline: Deadline | None = None
    max_meetings: MaxMeetings | None = None
    allowed_pairs: Pairs = None
    status: Status = None


class AttendanceInput(Request):
    attendance: Literal[tuple(ATTENDANCE)]
    outcome: Literal[tuple(MEETING_OUTCOMES)] | None = Field(default=None, description="Kept only for a held "
                                                             "meeting.")
    outcome_note: str = Field(default="", max_length=OUTCOME_NOTE_LIMIT)


class MarkedMeeting(PlacedMeeting):
    attendance: Literal[tuple(ATTENDANCE)] | None
    outcome: Literal[tuple(MEETING_OUTCOMES)] | None
    outcome_note: str



def service_data(wanted: ArenaInput | ArenaUpdate, fields: set[str]) -> dict:
    """The given fields as the arena services take them."""
    data = wanted.model_dump(include=fields)
    if "sessions" in data:
        data["sessions"] = [session.spec() for session in wanted.sessions]
    return data


def marked_meeting(meeting: Meeting) -> dict:
    fields = {**_placed(meeting), "attendance": meeting.attendance, "outcome": meeting.outcome,
              "outcome_note": meeting.outcome_note or ""}
    return MarkedMeeting.model_validate(fields).model_dump(mode="json")
