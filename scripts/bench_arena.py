"""An arena day through the web service; prints one JSON line.

    python scripts/bench_arena.py [--participants 400] [--meetings 1500] [--database-url URL]

Builds an arena of that size in a fresh database (SQLite by default; any SQLAlchemy URL works,
e.g. the PostgreSQL one), with accepted meetings between suppliers, health-sector staff and
funders, partial availability and a few 3-person meetings, then times what the organiser and the
participants do through the Flask app: running the scheduler (ARENA_SCHEDULER_SECONDS), opening
the grid, publishing, re-running after late acceptances (published meetings must stay put),
the CSV export, the dashboard, and a participant's agenda and .ics. A tenth of the requests are
accepted only after publishing, as late acceptances are. Checks the stored schedule
against the same validator the scheduler's tests use.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

from sqlalchemy import select  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from matchmaker import create_app  # noqa: E402
from matchmaker.database import get_session  # noqa: E402
from matchmaker.migrate import upgrade  # noqa: E402
from matchmaker.models import Arena, ArenaParticipant, Meeting, MeetingSeat, Organisation, User  # noqa: E402
from matchmaker.scheduling import validate_schedule  # noqa: E402
from matchmaker.services.arenas.schedule import accepted_meetings, scheduler_input  # noqa: E402
from matchmaker.services.arenas.setup import create_arena  # noqa: E402

PASSWORD = "bench-password-1"
GROUPS = (("supplier", "supplier", 0.5), ("clinical_department", "health", 0.4), ("funding_agency", "funder", 0.1))


def build(app, participants: int, meetings: int, seed: int) -> tuple[int, list[str]]:
    rng = random.Random(seed)
    with app.test_request_context():
        db = get_session()
        organiser_org = Organisation(name="Bench organiser", kind="arena_organiser", extra={})
        password_hash = generate_password_hash(PASSWORD)
        organiser = User(email="organiser@bench.example.org", name="Organiser", password_hash=password_hash,
                         organisation=organiser_org)
        db.add(organiser)
        db.flush()
        arena = create_arena(db, organiser, {
            "title": "Bench arena", "timezone": "Europe/Oslo", "meeting_minutes": "20", "status": "open",
            "sessions": "2030-03-12 09:00-12:00\n2030-03-12 13:00-16:00", "tables": str(participants // 5),
            "three_seat_tables": str(participants // 80), "allowed_pairs": ["health-supplier", "funder-supplier",
                                                                             "funder-health"]})
        people = _people(db, arena, participants, password_hash, rng)
        _meetings(db, arena, people, meetings, rng)
        db.commit()
        return arena.id, [people[0].user.email]


def _people(db, arena, count, password_hash, rng) -> list[ArenaParticipant]:
    slot_ids = [slot.id for slot in arena.slots]
    people = []
    for n in range(count):
        kind, group, _share = rng.choices(GROUPS, weights=[g[2] for g in GROUPS])[0]
        organisation = Organisation(name=f"{kind} {n}", kind=kind, extra={})
        user = User(email=f"p{n}@bench.example.org", name=f"Person {n}", password_hash=password_hash,
                    organisation=organisation)
        away = slot_ids[:rng.randrange(0, 6)] if rng.random() < 0.3 else []  # some arrive late
        people.append(ArenaParticipant(arena=arena, user=user, organisation=organisation, participant_group=group,
                                       status="approved", unavailable_slot_ids=away))
    db.add_all(people)
    db.flush()
    return people


def _meetings(db, arena, people, count, rng) -> None:
    suppliers = [p for p in people if p.participant_group == "supplier"]
    others = [p for p in people if p.participant_group != "supplier"]
    weights = [1 / (rank + 1) ** 0.6 for rank in range(len(others))]  # popular departments get asked most
    pairs = set()
    while len(pairs) < count:
        pairs.add((rng.choice(suppliers).id, rng.choices(others, weights)[0].id))
    by_id = {p.id: p for p in people}
    for n, (supplier, other) in enumerate(sorted(pairs)):
        seats = [by_id[supplier], by_id[other]]
        if n % 25 == 0:
            third = rng.choice(others)
            if third.id != other:
                seats.append(third)
        late = n % 10 == 9  # answered after the schedule is published
        meeting = Meeting(arena=arena, requester=seats[0], recipient=seats[1], status="pending" if late else "accepted",
                          match_reason={}, mutual=rng.random() < 0.2)
        meeting.seats = [MeetingSeat(participant=p, position=i) for i, p in enumerate(seats)]
        db.add(meeting)
    db.flush()


def timed(client, method: str, url: str) -> tuple[float, int]:
    began = time.perf_counter()
    response = client.open(url, method=method)
    return round(time.perf_counter() - began, 3), response.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=400)
    parser.add_argument("--meetings", type=int, default=1500)
    parser.add_argument("--database-url")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        upgrade("head", url)
        app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "WTF_CSRF_ENABLED": False,
                          "MATCHING_ENCODER": "hashing", "MATCHING_SNAPSHOT_DIR": None})
        print(json.dumps(run(app, args)))


def run(app, args) -> dict:
    arena_id, (participant_email,) = build(app, args.participants, args.meetings, args.seed)
    organiser, base = app.test_client(), f"/arenas/{arena_id}"
    signed_in = organiser.post("/login", data={"email": "organiser@bench.example.org", "password": PASSWORD})
    assert signed_in.status_code == 302, "the organiser could not sign in"
    figures = {"participants": args.participants, "meetings": args.meetings,
               "time_limit": app.config["ARENA_SCHEDULER_SECONDS"]}
    figures["run_s"], _status = timed(organiser, "POST", f"{base}/schedule/run")
    figures["first_run"] = _last_run(app, arena_id)
    for name, method, path in (("grid_s", "GET", "/schedule"), ("publish_s", "POST", "/schedule/publish"),
                               ("csv_s", "GET", "/schedule.csv"), ("dashboard_s", "GET", "/dashboard"),
                               ("print_participants_s", "GET", "/print/participants")):
        figures[name], status = timed(organiser, method, base + path)
        assert status in (200, 302), (path, status)
    published = _placements(app, arena_id)
    figures["late_acceptances"] = _accept_late(app, arena_id)
    figures["rerun_s"], _status = timed(organiser, "POST", f"{base}/schedule/run")
    figures["rerun"] = _last_run(app, arena_id)
    figures["published_unmoved"] = all(_placements(app, arena_id).get(m) == where for m, where in published.items())
    person = app.test_client()
    person.post("/login", data={"email": participant_email, "password": PASSWORD})
    figures["agenda_s"], _status = timed(person, "GET", f"{base}/agenda")
    figures["ics_s"], _status = timed(person, "GET", f"{base}/agenda.ics")
    figures["valid"] = _valid(app, arena_id)
    return figures


def _accept_late(app, arena_id: int) -> int:
    with app.app_context():
        db = get_session()
        late = db.scalars(select(Meeting).where(Meeting.arena_id == arena_id, Meeting.status == "pending")).all()
        for meeting in late:
            meeting.status = "accepted"
        db.commit()
        return len(late)


def _last_run(app, arena_id: int) -> dict:
    with app.app_context():
        return dict(get_session().get(Arena, arena_id).last_run)


def _placements(app, arena_id: int) -> dict:
    with app.app_context():
        rows = get_session().execute(select(Meeting.id, Meeting.slot_id, Meeting.table_id).where(
            Meeting.arena_id == arena_id, Meeting.slot_id.is_not(None)))
        return {meeting: (slot, table) for meeting, slot, table in rows}


def _valid(app, arena_id: int) -> bool:
    with app.app_context():
        db = get_session()
        arena = db.get(Arena, arena_id)
        meetings = accepted_meetings(db, arena)
        data = scheduler_input(arena, meetings)
        data["locked"] = []
        placed = [m for m in meetings if m.slot_id is not None]
        priority = {item["id"]: item["priority"] for item in data["meetings"]}
        schedule = {"assignments": [{"meeting": m.id, "slot": m.slot_id, "table": m.table_id} for m in placed],
                    "unscheduled": [{"meeting": m.id, "reason": m.unscheduled_reason or ""}
                                    for m in meetings if m.slot_id is None],
                    "objective": sum(priority[m.id] for m in placed)}
        return validate_schedule(data, schedule) == []


if __name__ == "__main__":
    main()
