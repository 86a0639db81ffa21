"""Data for the load test: a throwaway PostgreSQL schema, the demo content, one arena participant
per simulated user with meeting requests waiting for them, and the consistency checks afterwards."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, select, text
from werkzeug.security import generate_password_hash

from matchmaker.config import normalise_database_url
from matchmaker.database import get_database, get_session
from matchmaker.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from matchmaker.demo.arena import DEMO_ARENA_ID
from matchmaker.models import Arena, ArenaParticipant, Meeting, MeetingSeat, Organisation, Profile, User
from matchmaker.scheduling import validate_schedule
from matchmaker.services.arenas.access import GROUP_OF_KIND
from matchmaker.services.arenas.requests import open_meeting_between
from matchmaker.services.arenas.schedule import accepted_meetings, scheduler_input

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "loadtest-password-1"
REQUESTS_PER_PERSON = 5
NOTES = ("We would like to hear how this could work on our ward.", "Could we meet to discuss a pilot?",
         "Your profile fits what we are looking for; twenty minutes?", "")


def create_schema(base_url: str) -> tuple[str, str]:
    """A new empty schema; returns its name and a URL whose search path points at it."""
    base = normalise_database_url(base_url)
    schema = f"mm_load_{uuid.uuid4().hex[:10]}"
    _execute(base, f"CREATE SCHEMA {schema}")
    return schema, f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"


def drop_schema(base_url: str, schema: str) -> None:
    _execute(normalise_database_url(base_url), f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _execute(url: str, statement: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def load_demo(env: dict, attempts: int = 3) -> None:
    """The demo content through the command line, as an operator loads it (embeds every profile).
    It is one transaction, so when the database drops the connection it is simply tried again."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "demo", "load"]
    for attempt in range(1, attempts + 1):
        done = subprocess.run(command, cwd=ROOT, env=env | {"OMP_NUM_THREADS": str(os.cpu_count() or 1)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode == 0:
            return
        if attempt == attempts or "OperationalError" not in done.stderr:
            raise SystemExit(f"demo load failed:\n{done.stderr[-3000:]}")
        print("the database dropped the connection during the demo load; trying again", file=sys.stderr)
        time.sleep(5)


def add_participants(app, users: int, seed: int = 1) -> dict:
    """One new account per simulated user, registered in the demo arena for an organisation with a
    published profile, each with a few requests from other participants waiting for an answer."""
    rng = random.Random(seed)
    with get_database(app).session_scope() as db:
        arena = db.scalar(select(Arena).where(Arena.external_id == DEMO_ARENA_ID))
        newcomers = _newcomers(db, arena, users)
        everyone = db.scalars(select(ArenaParticipant).where(ArenaParticipant.arena_id == arena.id,
                                                             ArenaParticipant.status == "approved")).all()
        for person in newcomers:
            _ask(db, arena, person, everyone, rng)
        return _plan(db, arena, newcomers, everyone)


def _newcomers(db, arena: Arena, count: int) -> list[ArenaParticipant]:
    password_hash = generate_password_hash(PASSWORD)  # hashing is slow: once for everyone
    places = _organisations_with_profiles(db)
    people = []
    for n in range(count):
        organisation, profile = places[n % len(places)]
        user = User(email=f"person{n}@loadtest.example.org", name=f"Load Person {n}", password_hash=password_hash,
                    organisation=organisation)
        people.append(ArenaParticipant(arena=arena, user=user, organisation=organisation, profile=profile,
                                       participant_group=GROUP_OF_KIND[organisation.kind], status="approved",
                                       unavailable_slot_ids=[]))
    db.add_all(people)
    db.flush()
    return people


def _organisations_with_profiles(db) -> list[tuple[Organisation, Profile]]:
    """Approved organisations that take part in arenas, each with its first published profile,
    interleaved by kind so that any number of people mixes suppliers, departments and funders."""
    rows = db.execute(select(Organisation, Profile).join(Profile, Profile.organisation_id == Organisation.id).where(
        Organisation.kind.in_(("supplier", "clinical_department", "funding_agency")),
        Organisation.approved_at.is_not(None), Profile.status == "published").order_by(Organisation.id, Profile.id))
    first: dict[int, tuple[Organisation, Profile]] = {}
    for organisation, profile in rows:
        first.setdefault(organisation.id, (organisation, profile))
    by_kind: dict[str, list] = {}
    for place in first.values():
        by_kind.setdefault(place[0].kind, []).append(place)
    longest = max(len(places) for places in by_kind.values())
    return [places[i] for i in range(longest) for places in by_kind.values() if i < len(places)]


def _ask(db, arena: Arena, person: ArenaParticipant, everyone, rng: random.Random) -> None:
    """Others have asked this person for meetings; the answers are left to the load test."""
    askers = [p for p in everyone if p.organisation_id != person.organisation_id
              and arena.may_meet(p.participant_group, person.participant_group)]
    for asker in rng.sample(askers, min(REQUESTS_PER_PERSON, len(askers))):
        if open_meeting_between(db, asker, person) is not None:
            continue
        meeting = Meeting(arena=arena, requester=asker, recipient=person, status="pending",
                          note=rng.choice(NOTES), match_reason={})
        meeting.seats = [MeetingSeat(participant=asker, position=0), MeetingSeat(participant=person, position=1)]
        db.add(meeting)
        db.flush()


def _plan(db, arena: Arena, newcomers, everyone) -> dict:
    """What the simulated users need to know: accounts, the arena and its people, profile ids."""
    organiser_email = DEMO_ACCOUNTS["organiser"][0]
    published = db.execute(select(Profile.id, Profile.kind).join(Profile.organisation).where(
        Profile.status == "published", Organisation.approved_at.is_not(None))).all()
    return {
        "arena_id": arena.id,
        "allowed_pairs": [sorted(pair) for pair in arena.allowed_pairs],
        "organiser": {"email": organiser_email, "password": DEMO_PASSWORD},
        "accounts": [{"email": p.user.email, "password": PASSWORD, "participant_id": p.id,
                      "group": p.participant_group, "organisation_id": p.organisation_id} for p in newcomers],
        "participants": [{"id": p.id, "group": p.participant_group, "organisation_id": p.organisation_id}
                         for p in everyone],
        "need_ids": [pid for pid, kind in published if kind == "need"],
        "capability_ids": [pid for pid, kind in published if kind == "capability"],
    }


DOUBLE_BOOKED_PEOPLE = """
    SELECT s.participant_id, m.slot_id, count(*) FROM meeting_seats s JOIN meetings m ON m.id = s.meeting_id
    WHERE m.slot_id IS NOT NULL GROUP BY s.participant_id, m.slot_id HAVING count(*) > 1"""
DOUBLE_BOOKED_TABLES = """
    SELECT slot_id, table_id, count(*) FROM meetings WHERE slot_id IS NOT NULL
    GROUP BY slot_id, table_id HAVING count(*) > 1"""
SEATS_OUT_OF_STEP = """
    SELECT s.meeting_id, s.participant_id FROM meeting_seats s JOIN meetings m ON m.id = s.meeting_id
    WHERE s.slot_id IS DISTINCT FROM m.slot_id"""
OPEN_TWICE = """
    SELECT least(requester_id, recipient_id), greatest(requester_id, recipient_id), count(*) FROM meetings
    WHERE status IN ('pending', 'accepted') GROUP BY 1, 2 HAVING count(*) > 1"""
ABOVE_CAP = """
    SELECT p.id, count(*) FROM arena_participants p JOIN arenas a ON a.id = p.arena_id
    JOIN meeting_seats s ON s.participant_id = p.id JOIN meetings m ON m.id = s.meeting_id
    WHERE m.status = 'accepted' GROUP BY p.id, p.max_meetings, a.max_meetings
    HAVING count(*) > coalesce(p.max_meetings, a.max_meetings, 1000000)"""


def check_consistency(app, arena_id: int, accepted: list[int], cancelled: list[int]) -> dict:
    """Invariants that must hold after the run, and two races worth knowing about."""
    with get_database(app).engine.connect() as conn:
        rows = {name: conn.execute(text(query)).all() for name, query in (
            ("double_booked_people", DOUBLE_BOOKED_PEOPLE), ("double_booked_tables", DOUBLE_BOOKED_TABLES),
            ("seats_out_of_step", SEATS_OUT_OF_STEP), ("pairs_open_twice", OPEN_TWICE),
            ("above_meeting_cap", ABOVE_CAP))}
        lost = _lost_acceptances(conn, accepted, cancelled)
    figures = {name: len(found) for name, found in rows.items()}
    figures.update(acceptances_confirmed=len(accepted), acceptances_lost=len(lost), lost_meeting_ids=lost[:20],
                   schedule_problems=schedule_problems(app, arena_id))
    figures["consistent"] = not (figures["double_booked_people"] or figures["double_booked_tables"]
                                 or figures["seats_out_of_step"] or lost or figures["schedule_problems"])
    return figures


def _lost_acceptances(conn, accepted: list[int], cancelled: list[int]) -> list[int]:
    """Meetings the app said it accepted that are not stored as accepted (or, when the load test
    cancelled them later, as cancelled)."""
    if not accepted:
        return []
    status = dict(conn.execute(text("SELECT id, status FROM meetings WHERE id = ANY(:ids)"), {"ids": accepted}).all())
    gone = set(cancelled)
    return sorted(m for m in set(accepted) if status.get(m) != ("cancelled" if m in gone else "accepted"))


def schedule_problems(app, arena_id: int) -> list[str]:
    """The stored schedule checked by the scheduler's own validator. Meetings accepted after the
    last run wait unplaced without a reason; they count as left out for now."""
    with app.app_context():
        db = get_session()
        arena = db.get(Arena, arena_id)
        meetings = accepted_meetings(db, arena)
        data = scheduler_input(arena, meetings) | {"locked": []}
        priority = {item["id"]: item["priority"] for item in data["meetings"]}
        placed = [m for m in meetings if m.slot_id is not None]
        schedule = {"assignments": [{"meeting": m.id, "slot": m.slot_id, "table": m.table_id} for m in placed],
                    "unscheduled": [{"meeting": m.id, "reason": m.unscheduled_reason or "accepted since the last run"}
                                    for m in meetings if m.slot_id is None],
                    "objective": sum(priority[m.id] for m in placed)}
        return validate_schedule(data, schedule)
