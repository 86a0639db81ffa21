"""Match answers a worker keeps while nothing changed, and match views written in batches:
fewer writes and less ranking under load, and never an answer that is out of date after a save."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import func, select

from matchmaker.api.answer_cache import AnswerCache
from matchmaker.batched_writes import BatchedWrites
from matchmaker.models import MatchView
from tests.apps import app_with
from tests.factories import ApiClient

SENSOR = "A radar sensor that detects falls at night in patient rooms and alerts the nurse on duty."
MAT = "A pressure mat beside the bed that notices when a patient gets up at night and calls the nurse."
FALLS = "Older patients fall at night in their rooms; we want to detect falls early and alert the nurse."


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_an_answer_is_kept_until_it_expires_and_the_oldest_goes_first():
    clock, made = Clock(), []
    cache = AnswerCache(size=2, seconds=60, clock=clock)

    def make(value):
        made.append(value)
        return value
    assert cache.get_or_make("a", lambda: make(1)) == 1
    assert cache.get_or_make("a", lambda: make(2)) == 1
    clock.now = 61
    assert cache.get_or_make("a", lambda: make(3)) == 3
    cache.get_or_make("b", lambda: make(4))
    cache.get_or_make("c", lambda: make(5))  # "a" is the least recently used: dropped
    assert cache.get_or_make("a", lambda: make(6)) == 6
    assert made == [1, 3, 4, 5, 6]


def test_a_profile_saved_between_two_requests_shows_in_the_second_answer(api, make, index):
    need = index(make.need(title="Falls", description=FALLS))
    index(make.capability(description=SENSOR))
    client = api.as_user(make.user(need.organisation))
    first = client.get(f"/api/v1/needs/{need.id}/matches").json
    assert client.get(f"/api/v1/needs/{need.id}/matches").json == first
    mat = index(make.capability(description=MAT))
    second = client.get(f"/api/v1/needs/{need.id}/matches").json
    assert second["total"] == first["total"] + 1
    assert mat.id in {item["profile"]["id"] for item in second["items"]}


def test_a_kept_answer_is_not_shown_to_someone_who_may_not_see_the_profile(api, make, index):
    need = index(make.need(title="Falls", description=FALLS, status="draft"))
    index(make.capability(description=SENSOR))
    assert api.as_user(make.user(need.organisation)).get(f"/api/v1/needs/{need.id}/matches").status_code == 200
    outsider = api.as_user(make.user(make.organisation(kind="supplier")))
    assert outsider.get(f"/api/v1/needs/{need.id}/matches").status_code == 404


def test_match_views_are_written_once_a_batch_is_full(app, make, db, index):
    batched = app_with(app, MATCH_VIEW_BATCH=3, MATCH_VIEW_SECONDS=3600)
    need = index(make.need(title="Falls", description=FALLS))
    index(make.capability(description=SENSOR))
    client = ApiClient(batched.test_client(), make).as_user(make.user(need.organisation))

    def views():
        return db.scalar(select(func.count()).select_from(MatchView))
    for expected in (0, 0, 3):
        assert client.get(f"/api/v1/needs/{need.id}/matches").status_code == 200
        assert views() == expected


def test_rows_waiting_are_written_when_their_time_is_up_and_a_failure_loses_only_them():
    written, failing = [], [True]

    @contextmanager
    def session():
        if failing[0]:
            raise RuntimeError("database gone")
        yield written
    batched = BatchedWrites(lambda into, rows: into.extend(rows), session, rows=10, seconds=0.05)
    assert batched.add({"n": 1}) is None
    batched.flush()  # as the timer would: the database refuses, the row is dropped and logged
    failing[0] = False
    batched.add({"n": 2})
    batched._timer.join(2)
    assert written == [{"n": 2}]
