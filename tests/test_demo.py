"""The demo sells the product: loading it says what it does, its arena's meetings are the matching
engine's best pairs with reasons, its people have names, and the bell is not empty."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlalchemy import select

from matchmaker.cli import load_demo
from matchmaker.demo import DEMO_ACCOUNTS, load_demo_data
from matchmaker.demo.arena import DEMO_ARENA_ID, MEETINGS_PER_DEPARTMENT, MEETINGS_PER_SUPPLIER
from matchmaker.demo.pairs import best_pairs
from matchmaker.demo.people import NameBook
from matchmaker.demo.progress import QUIET
from matchmaker.matching.runtime import get_engine
from matchmaker.models import Arena, ArenaParticipant, Meeting, Notification, User
from matchmaker.services import notifications

PERSON_NAME = re.compile(r"^\w[\w-]+ \w[\w-]+$")


class Recorded:
    """Progress that remembers what it was told."""

    def __init__(self):
        self.steps, self.bars, self.done = [], [], Counter()

    def step(self, text: str) -> None:
        self.steps.append(text)

    def bar(self, label: str, length: int):
        from contextlib import contextmanager

        @contextmanager
        def counting():
            self.bars.append((label, length))
            yield lambda n: self.done.update({label: n})

        return counting()


@pytest.fixture
def demo(app, db):
    with app.app_context():
        progress = Recorded()
        load_demo_data(db, progress)
        db.flush()
        yield db.scalar(select(Arena).where(Arena.external_id == DEMO_ARENA_ID)), progress


def _user(db, role: str) -> User:
    return db.scalar(select(User).where(User.email == DEMO_ACCOUNTS[role][0]))


def _meetings(db, arena: Arena) -> list[Meeting]:
    return list(db.scalars(select(Meeting).where(Meeting.arena_id == arena.id).order_by(Meeting.id)))


def test_loading_names_each_step_and_counts_the_embedding(demo):
    _arena, progress = demo
    assert progress.steps[0] == "Loading the language model\u2026"
    assert any(re.fullmatch(r"Creating \d+ organisations and \d+ profiles\u2026", s) for s in progress.steps)
    assert "Building the demo arena from the best matches\u2026" in progress.steps
    embedding = next((label, n) for label, n in progress.bars if label.startswith("Embedding"))
    assert embedding == (f"Embedding {embedding[1]} profiles", embedding[1]) and embedding[1] >= 70
    assert progress.done[embedding[0]] == embedding[1]  # the bar reaches its end


def test_command_shows_the_steps_and_still_prints_the_logins(app):
    result = app.test_cli_runner().invoke(load_demo)
    assert result.exit_code == 0, result.output
    assert "Embedding" in result.stderr and "Building the demo arena" in result.stderr
    assert re.search(r"Demo loaded in \d+ s\.", result.stderr)
    for email, _name, _organisation in DEMO_ACCOUNTS.values():
        assert email in result.stdout


def test_arena_meetings_are_the_engines_best_pairs_with_reasons(app, db, demo):
    arena, _progress = demo
    meetings = _meetings(db, arena)
    assert len(meetings) >= 20
    assert {"pending", "accepted"} == {m.status for m in meetings}
    for meeting in meetings:
        assert meeting.match_score is not None and "strength" in meeting.match_reason, meeting.note
        strength = meeting.match_reason["strength"]
        assert not strength or f"a {strength} match" in meeting.note  # the note says why
    assert sum(bool(m.match_reason["passages"]) for m in meetings) > len(meetings) / 2  # what matched, to show
    people = list(db.scalars(select(ArenaParticipant).where(ArenaParticipant.arena_id == arena.id)
                             .order_by(ArenaParticipant.id)))
    again = best_pairs(db, get_engine(app), people, QUIET, MEETINGS_PER_DEPARTMENT, MEETINGS_PER_SUPPLIER)
    assert {frozenset((m.requester_id, m.recipient_id)) for m in meetings} == \
        {frozenset((p.department.id, p.supplier.id)) for p in again}  # chosen by the engine, the same each time
    scores = [p.match.score for p in again]
    assert scores == sorted(scores, reverse=True)
    seen = Counter()
    for pair in again:  # a merely possible match only as the first meeting of one of its two
        convincing = pair.match.explanation.strength in ("strong", "good")
        assert convincing or not (seen[pair.department] and seen[pair.supplier])
        seen.update((pair.department, pair.supplier))

def test_nobody_meets_more_than_their_share(db, demo):
    arena, _progress = demo
    load = Counter(p for m in _meetings(db, arena) for p in (m.requester_id, m.recipient_id))
    assert max(load.values()) <= max(MEETINGS_PER_DEPARTMENT, MEETINGS_PER_SUPPLIER)


def test_founder_and_clinician_each_have_a_request_waiting_for_them(db, demo):
    arena, _progress = demo
    for role in ("founder", "clinician"):
        me = _user(db, role)
        waiting = [m for m in _meetings(db, arena) if m.status == "pending" and m.recipient.user_id == me.id]
        assert waiting, role
        assert len(waiting[0].seats) == 2


def test_demo_people_have_person_names(db, demo):
    arena, _progress = demo
    participants = db.scalars(select(ArenaParticipant).where(ArenaParticipant.arena_id == arena.id)).all()
    names = [p.user.name for p in participants]
    assert all(PERSON_NAME.match(name) for name in names), [n for n in names if not PERSON_NAME.match(n)]
    assert not any(name.startswith("Contact") for name in db.scalars(select(User.name)))
    assert len(set(names)) == len(names)  # nobody is two people
    assert {"Ingrid Solheim", "Kari Nordmann", "Lars Eriksson"} <= set(names)


def test_names_run_out_gracefully():
    book = NameBook(set())
    names = [book.next("IS") for _ in range(10)]  # two first names and two last names only
    assert len(set(names[:4])) == 4 and len(names) == 10


def test_each_participating_demo_account_has_notifications_that_read_well(app, db, demo):
    arena, _progress = demo
    expected = {"founder": {"meeting_requested", "collaboration_proposed", "registration_approved"},
                "clinician": {"meeting_requested", "collaboration_proposed", "registration_approved"},
                "funder": {"registration_approved", "collaboration_funding", "followed_change"},
                "organiser": {"registration_received"},
                "admin": {"organisation_waiting"}}
    with app.test_request_context():
        for role, kinds in expected.items():
            mine = db.scalars(select(Notification).where(Notification.user_id == _user(db, role).id)).all()
            assert kinds <= {n.kind for n in mine}, role
            for notification in mine:
                assert notifications.message(notification) != notification.kind  # worded, not a bare code
                assert notifications.link(db, notification), notification.kind
                assert notification.read_at is None


def test_organiser_has_registrations_to_approve(db, demo):
    arena, _progress = demo
    waiting = db.scalars(select(ArenaParticipant).where(ArenaParticipant.arena_id == arena.id,
                                                         ArenaParticipant.status == "pending")).all()
    assert waiting
    assert not any(m for m in _meetings(db, arena) for p in m.participants if p.status == "pending")


def test_loading_again_adds_nothing(app, db, demo):
    arena, _progress = demo
    before = (len(_meetings(db, arena)), len(db.scalars(select(Notification)).all()))
    progress = Recorded()
    with app.app_context():
        load_demo_data(db, progress)
    db.flush()
    assert (len(_meetings(db, arena)), len(db.scalars(select(Notification)).all())) == before
    assert "  The demo arena is already there and stays as it is." in progress.steps


def test_loading_again_names_people_an_earlier_demo_called_contacts(app, db, demo, make):
    old = make.user(make.organisation("supplier", country="SE"), name="Contact, Gammal AB",
                    email="contact@gammal.demo.example.org")
    founder = _user(db, "founder")
    founder.name = "Ingrid Founder"
    db.flush()
    with app.app_context():
        load_demo_data(db)
    db.flush()
    assert PERSON_NAME.match(old.name) and founder.name == DEMO_ACCOUNTS["founder"][1]
