"""A demo arena: two sessions, a dozen tables, and people from the demo organisations who have
already registered and asked for meetings, so the organiser can run the scheduler at once."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from matchmaker.models import (
    Arena,
    ArenaParticipant,
    ArenaSession,
    ArenaSlot,
    ArenaTable,
    Meeting,
    MeetingSeat,
    Organisation,
    Profile,
    User,
)
from matchmaker.services.arenas.access import GROUP_OF_KIND
from matchmaker.services.arenas.setup import DEFAULT_PAIRS, SessionSpec, slot_times

DEMO_ARENA_ID = "arena-demo-nordic-health"
SESSIONS = [(time(9, 0), time(12, 0)), (time(13, 0), time(16, 0))]
TABLES, THREE_SEAT_TABLES = 12, 2
MEETINGS_PER_DEPARTMENT = 4


def load_demo_arena(session: Session, password: str, organiser_external_id: str) -> Arena | None:
    if session.scalar(select(Arena).where(Arena.external_id == DEMO_ARENA_ID)) is not None:
        return None
    organiser = session.scalar(select(Organisation).where(Organisation.external_id == organiser_external_id))
    arena = _arena(organiser)
    session.add(arena)
    session.flush()
    people = [_participant(session, arena, user) for user in _attendees(session, password)]
    session.flush()
    _requests(session, arena, people)
    return arena


def _arena(organiser: Organisation) -> Arena:
    day = _next_weekday(date.today() + timedelta(days=60))
    arena = Arena(external_id=DEMO_ARENA_ID, organiser=organiser, title="Nordic Health Innovation Arena",
                  venue="Oslo Science Park", timezone="Europe/Oslo", meeting_minutes=20, status="open",
                  description="A day of 20-minute meetings between health-tech suppliers, clinical departments "
                              "and funders from Norway, Sweden and Denmark.",
                  request_deadline=datetime.combine(day - timedelta(days=3), time(16, 0), UTC),
                  max_meetings=12, allowed_pairs=DEFAULT_PAIRS, last_run={})
    specs = [SessionSpec(day, starts, ends) for starts, ends in SESSIONS]
    arena.sessions = [ArenaSession(day=s.day, starts=s.starts, ends=s.ends) for s in specs]
    arena.slots = [ArenaSlot(starts_at=start, ends_at=end) for start, end in slot_times(arena, specs)]
    arena.tables = [ArenaTable(name=f"Table {n + 1}", capacity=3 if n < THREE_SEAT_TABLES else 2, position=n)
                    for n in range(TABLES)]
    return arena


def _next_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _attendees(session: Session, password: str) -> list[User]:
    """The demo accounts plus one contact person for every supplier, department and funder."""
    organisations = session.scalars(select(Organisation).where(
        Organisation.kind.in_(("supplier", "clinical_department", "funding_agency")),
        Organisation.approved_at.is_not(None)).order_by(Organisation.name)).all()
    users, password_hash = [], generate_password_hash(password)  # hashing is slow: once for all contacts
    for organisation in organisations:
        user = session.scalar(select(User).where(User.organisation_id == organisation.id).order_by(User.id))
        if user is None:
            slug = organisation.external_id.removeprefix("org-")
            user = User(email=f"contact@{slug}.demo.example.org", name=f"Contact, {organisation.name}",
                        password_hash=password_hash, organisation=organisation)
            session.add(user)
        users.append(user)
    session.flush()
    return users


def _participant(session: Session, arena: Arena, user: User) -> ArenaParticipant:
    profile = session.scalar(select(Profile).where(Profile.organisation_id == user.organisation_id,
                                                   Profile.status == "published").order_by(Profile.id))
    participant = ArenaParticipant(arena=arena, user=user, organisation=user.organisation, profile=profile,
                                   participant_group=GROUP_OF_KIND[user.organisation.kind], status="approved",
                                   unavailable_slot_ids=[])
    session.add(participant)
    return participant


def _requests(session: Session, arena: Arena, people: list[ArenaParticipant]) -> None:
    """Each department has asked a few suppliers; most said yes, some have not answered yet."""
    suppliers = [p for p in people if p.participant_group == "supplier"]
    funders = itertools.cycle([p for p in people if p.participant_group == "funder"])
    departments = [p for p in people if p.participant_group == "health"]
    ring = itertools.cycle(suppliers)
    for number, department in enumerate(departments):
        for choice in range(MEETINGS_PER_DEPARTMENT):
            supplier = next(ring)
            third = next(funders) if (number + choice) % 7 == 0 else None
            status = "pending" if (number + choice) % 5 == 0 else "accepted"
            meeting = Meeting(arena=arena, requester=department, recipient=supplier, status=status,
                              note="We would like to hear how this could work on our ward.", match_reason={},
                              responded_at=datetime.now(UTC) if status == "accepted" else None)
            meeting.seats = [MeetingSeat(participant=p, position=n)
                             for n, p in enumerate(filter(None, (department, supplier, third)))]
            session.add(meeting)
    session.flush()
