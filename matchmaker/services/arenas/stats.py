"""The organiser's dashboard figures: registrations, the request funnel, what the scheduler could
not place and why, and attendance after the event."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.models import Arena, ArenaParticipant, Meeting, User
from matchmaker.models.arenas import UNSCHEDULED_REASONS
from matchmaker.services.arenas.access import ensure_organiser
from matchmaker.vocabulary import MEETING_OUTCOMES, MEETING_STATUSES, PARTICIPANT_GROUPS


@dataclass
class ArenaStats:
    registrations: dict[str, Counter]  # group -> status -> count
    requests: Counter  # meeting status -> count
    funnel: list[tuple[str, int]]
    unscheduled: Counter  # reason -> count, "not_run" for meetings the scheduler has not seen
    attendance: Counter  # held / no_show / unmarked, over published meetings
    outcomes: Counter
    without_meeting: int  # approved participants with no scheduled meeting
    approved: int


def arena_stats(session: Session, user: User, arena: Arena) -> ArenaStats:
    ensure_organiser(user, arena)
    people = session.scalars(select(ArenaParticipant).where(ArenaParticipant.arena_id == arena.id)).all()
    meetings = session.scalars(select(Meeting).where(Meeting.arena_id == arena.id)).all()
    registrations = {group: Counter() for group in PARTICIPANT_GROUPS}
    for person in people:
        registrations[person.participant_group][person.status] += 1
    accepted = [m for m in meetings if m.status == "accepted"]
    placed = [m for m in accepted if m.slot_id is not None]
    published = [m for m in placed if m.published_at is not None]
    seated = {p.id for m in placed for p in m.participants}
    approved = [p for p in people if p.status == "approved"]
    return ArenaStats(
        registrations=registrations,
        requests=Counter({status: sum(1 for m in meetings if m.status == status) for status in MEETING_STATUSES}),
        funnel=[("requested", len(meetings)), ("accepted", len(accepted)), ("scheduled", len(placed)),
                ("published", len(published)), ("held", sum(1 for m in published if m.attendance == "held"))],
        unscheduled=Counter({reason: sum(1 for m in accepted if m.slot_id is None
                                         and (m.unscheduled_reason or "not_run") == reason)
                             for reason in (*UNSCHEDULED_REASONS, "not_run")}),
        attendance=Counter(m.attendance or "unmarked" for m in published),
        outcomes=Counter({outcome: sum(1 for m in published if m.outcome == outcome) for outcome in MEETING_OUTCOMES}),
        without_meeting=sum(1 for p in approved if p.id not in seated),
        approved=len(approved),
    )
