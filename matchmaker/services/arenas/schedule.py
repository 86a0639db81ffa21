"""The organiser's schedule: running the optimiser, moving, locking and removing meetings by hand,
and publishing. Every manual change is checked and refused with the reason; the database's unique
keys catch what two organisers might do at the same moment."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker import scheduling
from matchmaker.i18n import clock
from matchmaker.messages import Later, _
from matchmaker.models import Arena, ArenaSlot, ArenaTable, Meeting, MeetingSeat, User
from matchmaker.models.types import utcnow
from matchmaker.scheduling import result as reasons
from matchmaker.services import notifications
from matchmaker.services.arenas.access import ensure_organiser
from matchmaker.services.arenas.registration import available_slot_ids
from matchmaker.services.arenas.requests import expire_overdue, priority
from matchmaker.services.errors import Conflict, ValidationFailed

logger = logging.getLogger(__name__)
REASON_CODES = {
    reasons.NO_COMMON_SLOT: "no_common_slot",
    reasons.PARTICIPANT_FULL: "participant_full",
    reasons.NO_TABLE: "no_table",
    reasons.TOO_LARGE: "too_large",
    reasons.NOT_REACHED: "not_reached",
}


def accepted_meetings(session: Session, arena: Arena) -> list[Meeting]:
    return list(session.scalars(select(Meeting).where(Meeting.arena_id == arena.id, Meeting.status == "accepted")
                                .order_by(Meeting.responded_at, Meeting.id)))


def scheduler_input(arena: Arena, meetings: list[Meeting]) -> dict:
    """The arena in the scheduler's JSON form. A fixed meeting's slot counts as available to its
    participants even if they have marked it otherwise since: it stays where it is."""
    people: dict[int, set[int]] = {}
    for meeting in meetings:
        for participant in meeting.participants:
            people.setdefault(participant.id, set(available_slot_ids(participant)))
            if meeting.is_fixed:
                people[participant.id].add(meeting.slot_id)
    return {
        "slots": [{"id": s.id, "start": s.start.isoformat(), "end": s.end.isoformat()} for s in arena.slots],
        "tables": [{"id": t.id, "capacity": t.capacity} for t in arena.tables],
        "participants": [{"id": pid, "available": sorted(slots)} for pid, slots in people.items()],
        "meetings": [{"id": m.id, "participants": [p.id for p in m.participants], "priority": priority(m)}
                     for m in meetings],
        "locked": [{"meeting": m.id, "slot": m.slot_id, "table": m.table_id} for m in meetings if m.is_fixed],
    }


def run_scheduler(session: Session, user: User, arena: Arena, time_limit: float) -> dict:
    """Places every accepted meeting it can; published and locked meetings stay where they are."""
    ensure_organiser(user, arena)
    expire_overdue(session, arena)
    meetings = accepted_meetings(session, arena)
    began = time.monotonic()
    try:
        problem = scheduling.load_arena(scheduler_input(arena, meetings))
    except scheduling.ArenaError as error:
        logger.warning("arena %s cannot be scheduled: %s", arena.id, error)
        raise Conflict(_("The current schedule breaks a rule: %(error)s", error=str(error))) from error
    outcome = scheduling.schedule(problem, time_limit=time_limit)
    placements = {problem.meeting_ids[m]: (problem.slot_ids[s], problem.table_ids[t])
                  for m, s, t in outcome.assignments}
    left_out = {problem.meeting_ids[m]: REASON_CODES.get(reason, "not_reached") for m, reason in outcome.unscheduled}
    _apply(session, arena, meetings, placements, left_out)
    arena.last_run = {"at": utcnow().isoformat(), "placed": len(placements), "unscheduled": len(left_out),
                      "objective": outcome.objective, "bound": outcome.bound,
                      "seconds": round(time.monotonic() - began, 2)}
    logger.info("scheduled arena %s: %s", arena.id, arena.last_run)
    return arena.last_run


def _apply(session: Session, arena: Arena, meetings: list[Meeting], placements: dict, left_out: dict) -> None:
    """Empties the movable meetings first, so that swaps never collide half-way."""
    movable = [meeting for meeting in meetings if not meeting.is_fixed]
    for meeting in movable:
        meeting.unplace()
    _flush(session)
    slots, tables = {s.id: s for s in arena.slots}, {t.id: t for t in arena.tables}
    for meeting in movable:
        if meeting.id in placements:
            slot_id, table_id = placements[meeting.id]
            meeting.place(slots[slot_id], tables[table_id])
        meeting.unscheduled_reason = left_out.get(meeting.id)
    _flush(session)


def _flush(session: Session) -> None:
    # Made before flushing; worded when shown, after the request's session is rolled back: a failed
    # flush expires everything, the signed-in user's language too, and loads nothing until then.
    message = _("Someone else changed the schedule at the same moment. Reload the page and try again.")
    try:
        session.flush()
    except IntegrityError as error:
        raise Conflict(message) from error


def move_meeting(session: Session, user: User, arena: Arena, meeting: Meeting, slot_id: int, table_id: int) -> Meeting:
    ensure_organiser(user, arena)
    slot, table = session.get(ArenaSlot, slot_id), session.get(ArenaTable, table_id)
    errors = {name: _("Choose a slot and a table of this arena.") for name, found in
              (("slot_id", slot), ("table_id", table)) if found is None or found.arena_id != arena.id}
    if errors:
        raise ValidationFailed(_("Choose a slot and a table of this arena."), errors)
    problem = why_not_here(session, meeting, slot, table)
    if problem:
        raise Conflict(problem)
    was_published = meeting.published_at is not None
    meeting.place(slot, table)  # checked above: the unique keys only stop a concurrent change
    _flush(session)
    if was_published:
        meeting.published_at = utcnow()
        # The time is worded when read, in each reader's language, where the arena takes place.
        _tell_parties(session, meeting, "meeting_moved", starts_at=slot.start.isoformat(),
                      timezone=arena.timezone, table=table.name)
    return meeting


def why_not_here(session: Session, meeting: Meeting, slot: ArenaSlot, table: ArenaTable) -> str | None:
    """Why the meeting cannot go to this slot and table, in words for the organiser; None if it can."""
    checks: list[Callable[[], str | None]] = [
        lambda: None if meeting.status == "accepted" else _("Only accepted meetings can be scheduled."),
        lambda: None if table.capacity >= len(meeting.seats) else _(
            "%(table)s seats %(capacity)d; this meeting has %(count)d people.",
            table=table.display_name, capacity=table.capacity, count=len(meeting.seats)),
        lambda: _unavailable(meeting, slot),
        lambda: _table_taken(session, meeting, slot, table),
        lambda: _person_busy(session, meeting, slot),
    ]
    for check in checks:
        problem = check()
        if problem:
            return problem
    return None


def _unavailable(meeting: Meeting, slot: ArenaSlot) -> str | None:
    for participant in meeting.participants:
        if slot.id in (participant.unavailable_slot_ids or []):
            return _("%(name)s is not available at %(when)s.", name=participant.display_name,
                     when=_clock(slot.start, meeting.arena.timezone))
    return None


def _table_taken(session: Session, meeting: Meeting, slot: ArenaSlot, table: ArenaTable) -> str | None:
    other = session.scalar(select(Meeting).where(Meeting.slot_id == slot.id, Meeting.table_id == table.id))
    if other is None or other.id == meeting.id:
        return None
    return _("%(table)s is taken at that time by %(who)s.", table=table.display_name, who=names(other))


def _person_busy(session: Session, meeting: Meeting, slot: ArenaSlot) -> str | None:
    for participant in meeting.participants:
        seat = session.scalar(select(MeetingSeat).where(MeetingSeat.participant_id == participant.id,
                                                         MeetingSeat.slot_id == slot.id))
        if seat is not None and seat.meeting_id != meeting.id:
            return _("%(name)s already has a meeting at that time (with %(who)s).",
                     name=participant.display_name, who=names(seat.meeting, leave_out=participant.id))
    return None


def _clock(moment, timezone: str) -> Later:
    """A slot's time, written in the reader's language when shown, where the arena takes place."""
    return Later(lambda: clock(moment, timezone))


def names(meeting: Meeting, leave_out: int | None = None) -> str:
    return ", ".join(p.display_name for p in meeting.participants if p.id != leave_out)


def set_locked(session: Session, user: User, arena: Arena, meeting: Meeting, locked: bool) -> Meeting:
    ensure_organiser(user, arena)
    if locked and meeting.slot_id is None:
        raise Conflict(_("Place the meeting in a slot before locking it."))
    meeting.locked = locked
    session.flush()
    return meeting


def remove_meeting(session: Session, user: User, arena: Arena, meeting: Meeting) -> Meeting:
    """Takes a meeting out of the schedule; it stays accepted and can be placed again."""
    ensure_organiser(user, arena)
    was_published = meeting.published_at is not None
    meeting.unplace()
    session.flush()
    if was_published:
        _tell_parties(session, meeting, "meeting_removed")
    return meeting


def _tell_parties(session: Session, meeting: Meeting, kind: str, **params) -> None:
    for participant in meeting.participants:
        notifications.notify(session, [participant.user], kind, arena_id=meeting.arena_id,
                             title=meeting.arena.title, name=names(meeting, leave_out=participant.id), **params)


def publish(session: Session, user: User, arena: Arena) -> int:
    """Makes every placed meeting visible in the agendas; the scheduler will not move them again."""
    ensure_organiser(user, arena)
    now, newly, published = utcnow(), {}, 0
    for meeting in accepted_meetings(session, arena):
        if meeting.slot_id is not None and meeting.published_at is None:
            meeting.published_at, published = now, published + 1
            for participant in meeting.participants:
                newly.setdefault(participant.id, [participant, 0])[1] += 1
    arena.schedule_published_at = now
    session.flush()
    for participant, count in newly.values():
        notifications.notify(session, [participant.user], "schedule_published", arena_id=arena.id,
                             title=arena.title, count=count)
    return published
