"""A demo arena: two sessions, a dozen tables, and people from the demo organisations who have
already registered and asked for meetings, so the organiser can run the scheduler at once. The
requests pair each department with the suppliers the matching engine ranks best for its need."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from matchmaker.demo.pairs import Pair, best_pairs, match_reason, request_note
from matchmaker.demo.people import NameBook
from matchmaker.demo.progress import QUIET, Progress
from matchmaker.matching.runtime import get_engine
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
MEETINGS_PER_DEPARTMENT, MEETINGS_PER_SUPPLIER = 4, 5
# Of the pairs in rank order: every PENDING_EVERY-th still waits for an answer, every
# SUPPLIER_ASKS_EVERY-th was asked for by the supplier, every FUNDER_EVERY-th has a funder along.
PENDING_EVERY, SUPPLIER_ASKS_EVERY, FUNDER_EVERY = 5, 3, 7
# Suppliers left without a meeting whose registration still waits for the organiser.
WAITING_REGISTRATIONS = 3


def load_demo_arena(session: Session, password: str, organiser_external_id: str, demo_emails: dict[str, str],
                    progress: Progress = QUIET) -> Arena | None:
    """Creates the arena once. ``demo_emails``: role -> e-mail of the demo accounts; the founder
    and the clinician each find a meeting request waiting for their answer."""
    if session.scalar(select(Arena).where(Arena.external_id == DEMO_ARENA_ID)) is not None:
        progress.step("  The demo arena is already there and stays as it is.")
        return None
    organiser = session.scalar(select(Organisation).where(Organisation.external_id == organiser_external_id))
    arena = _arena(organiser)
    session.add(arena)
    session.flush()
    people = [_participant(session, arena, user) for user in _attendees(session, password)]
    session.flush()
    pairs = best_pairs(session, get_engine(), people, progress, MEETINGS_PER_DEPARTMENT, MEETINGS_PER_SUPPLIER)
    waiting_for = {demo_emails.get("founder"), demo_emails.get("clinician")}
    _requests(session, arena, people, pairs, waiting_for)
    _waiting_registrations(people, pairs)
    session.flush()
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
    names = NameBook(set(session.scalars(select(User.name))))
    for organisation in organisations:
        user = session.scalar(select(User).where(User.organisation_id == organisation.id).order_by(User.id))
        if user is None:
            slug = organisation.external_id.removeprefix("org-")
            user = User(email=f"contact@{slug}.demo.example.org", name=names.next(organisation.country),
                        password_hash=password_hash, organisation=organisation, organisation_role="admin")
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


def _requests(session: Session, arena: Arena, people: list[ArenaParticipant], pairs: list[Pair],
              waiting_for: set[str | None]) -> None:
    """The best pairs as requests: most accepted, some still waiting, a funder along on a few."""
    funders = itertools.cycle([p for p in people if p.participant_group == "funder"] or [None])
    meetings = [_meeting(arena, pair, rank, funders) for rank, pair in enumerate(pairs)]
    for email in sorted(filter(None, waiting_for)):
        _leave_one_waiting_for(meetings, email)
    session.add_all(meetings)


def _meeting(arena: Arena, pair: Pair, rank: int, funders) -> Meeting:
    from_department = rank % SUPPLIER_ASKS_EVERY != 1
    requester, recipient = (pair.department, pair.supplier) if from_department else (pair.supplier, pair.department)
    status = "pending" if rank % PENDING_EVERY == PENDING_EVERY - 1 else "accepted"
    third = next(funders) if status == "accepted" and rank % FUNDER_EVERY == 0 else None
    meeting = Meeting(arena=arena, requester=requester, recipient=recipient, status=status,
                      note=request_note(pair, from_department), match_score=round(pair.match.score, 4),
                      match_reason=match_reason(pair),
                      responded_at=datetime.now(UTC) if status == "accepted" else None)
    meeting.seats = [MeetingSeat(participant=p, position=n)
                     for n, p in enumerate(filter(None, (requester, recipient, third)))]
    return meeting


def _leave_one_waiting_for(meetings: list[Meeting], email: str) -> None:
    """A demo account's best pair waits for its answer, so its dashboard has something to do."""
    mine = [m for m in meetings if email in (m.requester.user.email, m.recipient.user.email)]
    if not mine or any(m.status == "pending" and m.recipient.user.email == email for m in mine):
        return
    meeting = mine[0]
    if meeting.requester.user.email == email:
        meeting.requester, meeting.recipient = meeting.recipient, meeting.requester
        meeting.seats[0].participant, meeting.seats[1].participant = meeting.requester, meeting.recipient
    meeting.status, meeting.responded_at = "pending", None
    meeting.seats = meeting.seats[:2]  # a request that waits has no third person yet


def _waiting_registrations(people: list[ArenaParticipant], pairs: list[Pair]) -> None:
    """A few suppliers without a meeting registered late: the organiser has them to approve."""
    paired = {pair.supplier.id for pair in pairs}
    late = [p for p in people if p.participant_group == "supplier" and p.id not in paired]
    for participant in late[-WAITING_REGISTRATIONS:]:
        participant.status = "pending"
