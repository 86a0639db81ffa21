"""What each person sees of the schedule: their agenda, its calendar file, the organiser's grid
and its exports, and attendance after the event."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Annotated, Any

from icalendar import Calendar, Event, vCalAddress, vText
from pydantic import BaseModel, BeforeValidator
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.i18n import clock, day
from matchmaker.messages import _
from matchmaker.models import Arena, ArenaParticipant, ArenaSlot, ArenaTable, Meeting, MeetingSeat, User
from matchmaker.models.types import utcnow
from matchmaker.people import organisation_label
from matchmaker.services.arenas.access import ensure_organiser, ensure_party, is_organiser
from matchmaker.services.arenas.registration import approved_participants
from matchmaker.services.arenas.requests import meetings_of
from matchmaker.services.arenas.schedule import accepted_meetings, names
from matchmaker.services.errors import Conflict
from matchmaker.services.schemas import bounded_text, one_of, validated
from matchmaker.vocabulary import ATTENDANCE, MEETING_OUTCOMES

PRODUCT_ID = "-//matchmaker//arena agenda//EN"
OUTCOME_NOTE_LIMIT = 500


def agenda(session: Session, participant: ArenaParticipant) -> list[Meeting]:
    """The participant's published meetings in time order."""
    rows = session.scalars(select(Meeting).join(Meeting.seats).join(ArenaSlot, Meeting.slot_id == ArenaSlot.id)
                           .where(MeetingSeat.participant_id == participant.id, Meeting.status == "accepted",
                                  Meeting.published_at.is_not(None))
                           .order_by(ArenaSlot.starts_at)).unique()
    return list(rows)


def waiting_for_schedule(session: Session, participant: ArenaParticipant) -> list[Meeting]:
    """Accepted meetings that are not in the published schedule yet."""
    return [m for m in meetings_of(session, participant) if m.status == "accepted" and m.published_at is None]


def agenda_calendar(arena: Arena, participant: ArenaParticipant, meetings: list[Meeting], base_url: str) -> bytes:
    """An iCalendar file with one event per meeting; stable UIDs let calendar apps update events
    in place when the schedule changes."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", arena.title)
    for meeting in meetings:
        calendar.add_component(_event(arena, participant, meeting, base_url))
    return calendar.to_ical()


def _event(arena: Arena, participant: ArenaParticipant, meeting: Meeting, base_url: str) -> Event:
    event = Event()
    others = names(meeting, leave_out=participant.id)
    event.add("uid", f"arena-{arena.external_id}-meeting-{meeting.id}@matchmaker")
    event.add("dtstamp", utcnow())
    event.add("dtstart", meeting.slot.start)
    event.add("dtend", meeting.slot.end)
    event.add("summary", str(_("Meeting with %(who)s", who=others)))
    event.add("location", vText(f"{meeting.table.display_name}, {arena.venue}".strip(", ")))
    event.add("description", _meeting_description(meeting, participant))
    event.add("url", f"{base_url.rstrip('/')}/arenas/{arena.id}/agenda")
    event.add("sequence", int(meeting.published_at.timestamp()) if meeting.published_at else 0)
    organiser = vCalAddress("mailto:noreply@matchmaker.invalid")
    organiser.params["cn"] = vText(organisation_label(arena.organiser))
    event.add("organizer", organiser)
    return event


def _meeting_description(meeting: Meeting, participant: ArenaParticipant) -> str:
    lines = [arena_part.display_name for arena_part in meeting.participants if arena_part.id != participant.id]
    passages = (meeting.match_reason or {}).get("passages") or []
    if passages:
        lines.append(str(_("Why matched: %(text)s", text=" / ".join(passages[0]))))
    if meeting.note:
        lines.append(str(_("Note: %(note)s", note=meeting.note)))
    return "\n".join(lines)


@dataclass
class Grid:
    slots: list[ArenaSlot]
    tables: list[ArenaTable]
    cells: dict[tuple[int, int], Meeting]
    unplaced: list[Meeting] = field(default_factory=list)
    # Approved participants with no meeting in the schedule, whether or not they asked for one.
    without_meeting: list[ArenaParticipant] = field(default_factory=list)

    def at(self, slot: ArenaSlot, table: ArenaTable) -> Meeting | None:
        return self.cells.get((slot.id, table.id))

    @property
    def accepted_count(self) -> int:
        return len(self.cells) + len(self.unplaced)

    def days(self) -> list[tuple[str, list[ArenaSlot]]]:
        """The slots grouped by the day they fall on where the arena takes place."""
        grouped: dict[str, list[ArenaSlot]] = {}
        for slot in self.slots:
            grouped.setdefault(slot.day_key, []).append(slot)
        return list(grouped.items())


def grid(session: Session, user: User, arena: Arena) -> Grid:
    ensure_organiser(user, arena)
    meetings = accepted_meetings(session, arena)
    cells = {(m.slot_id, m.table_id): m for m in meetings if m.slot_id is not None}
    seated = {p.id for m in cells.values() for p in m.participants}
    left_out = [p for p in approved_participants(session, arena) if p.id not in seated]
    return Grid(list(arena.slots), list(arena.tables), cells, [m for m in meetings if m.slot_id is None],
                sorted(left_out, key=lambda p: p.display_name.lower()))


def grid_csv(arena: Arena, layout: Grid) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Date"), _("Start"), _("End"), _("Table"), _("Participants"), _("Organisations"),
                     _("Locked"), _("Published")])
    zone = arena.timezone
    for slot in layout.slots:
        for table in layout.tables:
            meeting = layout.at(slot, table)
            if meeting is None:
                continue
            writer.writerow([day(slot.start, zone), clock(slot.start, zone), clock(slot.end, zone),
                             table.display_name, "; ".join(p.display_name for p in meeting.participants),
                             "; ".join(organisation_label(p.organisation) for p in meeting.participants),
                             _csv_flag(meeting.locked), _csv_flag(meeting.published_at is not None)])
    return out.getvalue()


def _csv_flag(value: bool) -> str:
    return str(_("yes")) if value else ""


def participant_sheets(session: Session, user: User, arena: Arena) -> list[tuple[ArenaParticipant, list[Meeting]]]:
    """Every participant's placed meetings, for printing one page each."""
    layout = grid(session, user, arena)
    per_person: dict[int, tuple[ArenaParticipant, list[Meeting]]] = {}
    for slot in layout.slots:
        for table in layout.tables:
            meeting = layout.at(slot, table)
            for participant in meeting.participants if meeting else []:
                per_person.setdefault(participant.id, (participant, []))[1].append(meeting)
    return sorted(per_person.values(), key=lambda item: item[0].display_name.lower())


class AttendanceInput(BaseModel):
    attendance: Annotated[Any, BeforeValidator(one_of(ATTENDANCE, _("Choose held or no-show.")))]
    outcome: Annotated[Any, BeforeValidator(one_of(MEETING_OUTCOMES, _("Choose one of the listed outcomes."),
                                                    optional=True))] = None
    outcome_note: Annotated[Any, BeforeValidator(bounded_text(OUTCOME_NOTE_LIMIT))] = ""


def ensure_may_mark(user: User, arena: Arena, meeting: Meeting) -> None:
    """Its parties and the organisers; to anyone else the meeting is not found, whatever they send."""
    if not is_organiser(user, arena):
        ensure_party(meeting, user)


def record_attendance(session: Session, user: User, arena: Arena, meeting: Meeting, attendance: str,
                      outcome: str | None, note: str = "") -> Meeting:
    """After a meeting's start, a participant (or the organiser) records whether it took place
    and what came of it."""
    ensure_may_mark(user, arena, meeting)
    if meeting.slot is None or meeting.published_at is None:
        raise Conflict(_("Only meetings in the published schedule can be marked."))
    if utcnow() < meeting.slot.start:
        raise Conflict(_("You can mark the meeting once it has started."))
    marked = validated(AttendanceInput, {"attendance": attendance, "outcome": outcome, "outcome_note": note})
    meeting.attendance = marked.attendance
    meeting.outcome = marked.outcome if marked.attendance == "held" else None
    meeting.outcome_note, meeting.attendance_by_id = marked.outcome_note, user.id
    session.flush()
    return meeting
