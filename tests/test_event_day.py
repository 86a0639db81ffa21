"""The arena's day: now and next on a participant's phone, checking in at the door, the grid's
arrivals, rating meetings afterwards, the organiser's figures, and the same through the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import schemathesis
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from matchmaker.models import Arena, ArenaParticipant, Arrival, Meeting, MeetingRating, User
from matchmaker.models.types import utcnow
from matchmaker.service_context import settings_of
from matchmaker.services.arenas import event_day
from matchmaker.services.arenas.check_in import check_in_code

WHY = "We need a sensor that notices when a frail patient gets up at night."
MINUTES = timedelta(minutes=20)


@dataclass
class Day:
    arena: Arena
    me: ArenaParticipant  # a supplier with a meeting in each of the arena's three slots
    others: list[ArenaParticipant]  # the departments they meet, one per slot
    meetings: list[Meeting]
    organiser: User
    bystander: ArenaParticipant  # approved, in no meeting

    def url(self, path: str = "") -> str:
        return f"/arenas/{self.arena.id}{path}"


def _arena_day(make, db, first_start: datetime) -> Day:
    """Three published 20-minute meetings from `first_start`, one at each table."""
    arena = make.arena(slots=3, tables=3)
    for n, slot in enumerate(arena.slots):
        slot.starts_at, slot.ends_at = first_start + n * MINUTES, first_start + (n + 1) * MINUTES
    need_owner = make.user(kind="clinical_department")
    me = make.participant(arena, profile=make.capability(), kind="supplier")
    others = [make.participant(arena, user=need_owner, profile=make.need(need_owner.organisation))]
    others += [make.participant(arena, kind="clinical_department") for _ in range(2)]
    meetings = []
    for n, other in enumerate(others):
        meeting = make.meeting(arena, me, other, note=f"Note {n}")
        meeting.match_reason = {"passages": [[f"My side {n}", f"{WHY} ({n})"]]}
        meeting.place(arena.slots[n], arena.tables[n])
        meeting.published_at = utcnow()
        meetings.append(meeting)
    arena.schedule_published_at = utcnow()
    db.commit()
    return Day(arena, me, others, meetings, make.user(arena.organiser), make.participant(arena))


@pytest.fixture
def during(make, db) -> Day:
    """The second meeting is under way: the first ended ten minutes ago."""
    return _arena_day(make, db, utcnow() - MINUTES - timedelta(minutes=10))


@pytest.fixture
def before(make, db) -> Day:
    return _arena_day(make, db, utcnow() + timedelta(hours=2))


@pytest.fixture
def after(make, db) -> Day:
    return _arena_day(make, db, utcnow() - 4 * MINUTES)


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[-500:]
    return response.get_data(as_text=True)


# --- now and next -------------------------------------------------------------------------------

def test_now_and_next_during_the_day(client, auth, during):
    auth.login(during.me.user)
    page = _page(client, during.url("/now"))
    current, following = page.split('id="now-current"')[1].split('id="now-next"')
    assert "Table 2" in current and during.others[1].display_name in current and f"{WHY} (1)" in current
    assert "Table 3" in following and during.others[2].display_name in following
    assert during.others[0].display_name not in page  # the ended meeting is gone, but for rating it
    assert f'href="{during.url("/agenda")}#meeting-{during.meetings[0].id}"' in page
    assert 'src="/static/now.js"' in page and 'id="auto-refresh"' in page and 'data-seconds="60"' in page


def test_now_and_next_before_the_day_says_when_the_first_meeting_is(client, auth, before):
    auth.login(before.me.user)
    page = _page(client, before.url("/now"))
    start = before.arena.slots[0].start.strftime("%H:%M")
    assert "Your first meeting is at" in page and start in page
    assert 'id="now-first"' in page and "Table 1" in page and 'id="now-current"' not in page


def test_now_and_next_after_the_last_meeting_says_the_day_is_done(client, auth, after):
    auth.login(after.me.user)
    page = _page(client, after.url("/now"))
    assert "Your meetings are done for the day." in page
    assert 'id="now-current"' not in page and 'id="now-next"' not in page


def test_now_and_next_is_for_approved_participants(client, auth, during, make):
    for user, status in ((during.organiser, 403), (make.user(kind="supplier"), 403)):
        auth.login(user)
        assert client.get(during.url("/now")).status_code == status


def test_the_agenda_and_the_dashboard_link_to_now_and_next_on_the_day(client, auth, during, before, make, db):
    auth.login(during.me.user)
    assert f'href="{during.url("/now")}"' in _page(client, during.url("/agenda"))
    assert f'href="{during.url("/now")}"' in _page(client, "/dashboard")
    auth.login(during.organiser)
    assert f'href="{during.url("/check-in")}"' in _page(client, "/dashboard").split('id="arena-desk-')[1]
    auth.login(during.me.user)
    later = make.arena(day="2031-01-07")  # another day: no link
    me = make.participant(later, user=during.me.user)
    meeting = make.meeting(later, me, make.participant(later, kind="clinical_department"))
    meeting.place(later.slots[0], later.tables[0])
    meeting.published_at = later.schedule_published_at = utcnow()
    db.commit()
    assert f"/arenas/{later.id}/now" not in _page(client, f"/arenas/{later.id}/agenda")


# --- check-in -----------------------------------------------------------------------------------

def _code_url(app, day: Day, participant: ArenaParticipant) -> str:
    with app.test_request_context():
        return day.url(f"/check-in/{check_in_code(settings_of(app), participant)}")


def _arrived(db, participant: ArenaParticipant) -> bool:
    db.expire_all()
    return db.get(Arrival, participant.id) is not None


def test_the_agenda_shows_a_qr_code_served_as_an_svg_image(client, auth, during):
    auth.login(during.me.user)
    assert f'<img src="{during.url("/check-in.svg")}"' in _page(client, during.url("/agenda"))
    image = client.get(during.url("/check-in.svg"))
    assert image.status_code == 200 and image.mimetype == "image/svg+xml"
    svg = image.get_data(as_text=True)
    assert "<svg" in svg and "<path" in svg and "<script" not in svg and "style=" not in svg
    auth.login(during.organiser)
    assert client.get(during.url("/check-in.svg")).status_code == 403  # organisers have no code


def test_the_organiser_checks_in_by_opening_the_scanned_url(app, client, auth, db, during):
    auth.login(during.organiser)
    page = _page(client, _code_url(app, during, during.me))
    assert during.me.display_name in page.split('id="scanned"')[1]
    assert _arrived(db, during.me)
    assert "1 of 5 participants have arrived." in _page(client, _code_url(app, during, during.me))  # twice: once


@pytest.mark.parametrize("who", ["participant", "other_organiser", "bystander"])
def test_only_the_organiser_may_open_a_check_in_url(app, client, auth, db, make, during, who):
    user = {"participant": during.me.user, "bystander": during.bystander.user,
            "other_organiser": make.user(kind="arena_organiser")}[who]
    auth.login(user)
    assert client.get(_code_url(app, during, during.me)).status_code == 403
    assert not _arrived(db, during.me)


def test_a_tampered_or_foreign_check_in_code_is_refused(app, client, auth, db, make, during):
    auth.login(during.organiser)
    url = _code_url(app, during, during.me)
    assert client.get(url[:-2] + ("AA" if not url.endswith("AA") else "BB")).status_code == 404
    elsewhere = make.arena(organiser=during.arena.organiser)
    stranger = make.participant(elsewhere)
    with app.test_request_context():
        foreign = during.url(f"/check-in/{check_in_code(settings_of(app), stranger)}")
    assert client.get(foreign).status_code == 404  # another arena's code, even the same organiser's
    assert db.scalar(select(func.count()).select_from(Arrival)) == 0


def test_the_organiser_checks_in_by_name_and_can_undo(client, auth, db, during):
    auth.login(during.organiser)
    name = during.others[1].user.name
    found = _page(client, during.url(f"/check-in?q={name}"))
    assert during.others[1].display_name in found and during.others[2].display_name not in found
    arrive = during.url(f"/check-in/people/{during.others[1].id}/arrive")
    assert client.post(arrive, data={"q": name}).status_code == 302
    assert _arrived(db, during.others[1])
    assert "Undo check-in" in _page(client, during.url(f"/check-in?q={name}"))
    assert client.post(during.url(f"/check-in/people/{during.others[1].id}/undo")).status_code == 302
    assert not _arrived(db, during.others[1])


def test_others_cannot_check_in_by_name_and_pending_registrations_are_not_found(client, auth, db, make, during):
    arrive = during.url(f"/check-in/people/{during.others[1].id}/arrive")
    for user in (during.me.user, make.user(kind="arena_organiser")):
        auth.login(user)
        assert client.post(arrive).status_code == 403
        assert client.get(during.url("/check-in")).status_code == 403
    assert not _arrived(db, during.others[1])
    waiting = make.participant(during.arena, status="pending")
    auth.login(during.organiser)
    assert client.post(during.url(f"/check-in/people/{waiting.id}/arrive")).status_code == 404
    assert not _arrived(db, waiting)


def test_the_schedule_grid_shows_who_has_arrived(client, auth, during):
    auth.login(during.organiser)
    client.post(during.url(f"/check-in/people/{during.others[2].id}/arrive"))
    grid = _page(client, during.url("/schedule"))
    assert "1 participant has arrived" in grid
    arrived = [cell for cell in grid.split('<span class="grid-person') if 'arrived' in cell.split(">")[0]]
    assert len(arrived) == 1 and during.others[2].display_name in arrived[0]


# --- ratings ------------------------------------------------------------------------------------

def _rate(client, day: Day, meeting: Meeting, score, follow_up: bool = False):
    data = {"score": score, **({"follow_up": "1"} if follow_up else {})}
    return client.post(day.url(f"/meetings/{meeting.id}/rating"), data=data)


def _ratings(db, meeting: Meeting) -> list[tuple[int, int, bool]]:
    db.expire_all()
    return [(r.participant_id, r.score, r.follow_up) for r in db.scalars(
        select(MeetingRating).where(MeetingRating.meeting_id == meeting.id).order_by(MeetingRating.id))]


def test_both_sides_rate_an_ended_meeting_once_each(client, auth, db, during):
    ended = during.meetings[0]
    auth.login(during.me.user)
    assert _rate(client, during, ended, 4).status_code == 302
    assert _rate(client, during, ended, 5, follow_up=True).status_code == 302  # changes, not adds
    auth.login(during.others[0].user)
    assert _rate(client, during, ended, 2).status_code == 302
    assert _ratings(db, ended) == [(during.me.id, 5, True), (during.others[0].id, 2, False)]


def test_ratings_are_refused_before_the_end_outside_1_to_5_and_to_others(client, auth, db, during):
    auth.login(during.me.user)
    assert _rate(client, during, during.meetings[1], 4).status_code == 409  # under way
    assert _rate(client, during, during.meetings[2], 4).status_code == 409  # not begun
    for score in (0, 6, "", "five"):
        assert _rate(client, during, during.meetings[0], score).status_code == 422
    auth.login(during.bystander.user)
    assert _rate(client, during, during.meetings[0], 3).status_code == 404
    auth.login(during.organiser)
    assert _rate(client, during, during.meetings[0], 3).status_code == 404
    assert all(_ratings(db, meeting) == [] for meeting in during.meetings)


def test_a_no_show_is_not_rated(client, auth, db, during):
    during.meetings[0].attendance = "no_show"
    db.commit()
    auth.login(during.me.user)
    assert _rate(client, during, during.meetings[0], 1).status_code == 409


def test_the_agenda_offers_rating_and_a_follow_up_leads_to_a_proposal(client, auth, during):
    auth.login(during.me.user)
    agenda = _page(client, during.url("/agenda"))
    rated = during.url(f"/meetings/{during.meetings[0].id}/rating")
    assert f'action="{rated}"' in agenda
    assert during.url(f"/meetings/{during.meetings[2].id}/rating") not in agenda  # not ended yet
    assert "collaborations/new" not in agenda
    _rate(client, during, during.meetings[0], 5, follow_up=True)
    agenda = _page(client, during.url("/agenda"))
    assert f"meeting={during.meetings[0].id}" in agenda and "Propose a test collaboration" in agenda


def test_the_database_keeps_one_rating_per_person_from_1_to_5(db, during):
    meeting, me = during.meetings[0], during.me
    db.add(MeetingRating(meeting_id=meeting.id, participant_id=me.id, score=3))
    db.commit()
    for score in (4, 6):
        other = during.others[0].id if score == 6 else me.id  # a second rating; a score out of range
        db.add(MeetingRating(meeting_id=meeting.id, participant_id=other, score=score))
        with pytest.raises(IntegrityError):
            db.commit()
        db.rollback()


# --- the organiser's figures --------------------------------------------------------------------

def test_the_dashboard_shows_arrivals_and_ratings(client, auth, during):
    auth.login(during.organiser)
    for person in (during.me, during.others[0]):
        client.post(during.url(f"/check-in/people/{person.id}/arrive"))
    for user, score, follow_up in ((during.me.user, 5, True), (during.others[0].user, 4, False)):
        auth.login(user)
        _rate(client, during, during.meetings[0], score, follow_up)
    auth.login(during.organiser)
    page = _page(client, during.url("/dashboard"))
    assert 'id="chart-arrivals"' in page and 'id="chart-ratings"' in page
    arrivals = page.split('id="chart-arrivals-table"')[1].split("</table>")[0]
    assert "<th scope=\"row\">Arrived</th><td>2</td>" in arrivals
    assert "<th scope=\"row\">Not arrived</th><td>2</td>" in arrivals  # two departments with meetings
    assert "Mean rating: 4.5 of 5" in page
    assert "rated by at least one side: 100.0% (1 of 1)" in page
    assert "1 rating asks to follow up." in page


# --- the API ------------------------------------------------------------------------------------

def _as_documented(app, method: str, path: str, answer) -> None:
    schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)[path][method].validate_response(answer)


def test_api_now_and_next(app, api, during, make):
    answer = api.as_user(during.me.user).get(during.url("/now-and-next").replace("/arenas", "/api/v1/arenas"))
    assert answer.status_code == 200, answer.json
    _as_documented(app, "GET", "/arenas/{arena_id}/now-and-next", answer)
    body = answer.json
    assert body["state"] == "during" and body["current"]["table"] == "Table 2"
    assert body["current"]["why"] == f"{WHY} (1)" and body["next"]["id"] == during.meetings[2].id
    assert [p["name"] for p in body["current"]["people"]] == [during.others[1].display_name]
    assert api.as_user(make.user(kind="supplier")).get(f"/api/v1/arenas/{during.arena.id}/now-and-next") \
        .status_code == 403


def test_api_check_in_and_undo_by_the_organiser_only(app, api, db, make, during):
    path = f"/api/v1/arenas/{during.arena.id}/check-ins/{during.others[0].id}"
    for user in (during.me.user, make.user(kind="arena_organiser")):
        assert api.as_user(user).post(path).status_code == 403
    assert not _arrived(db, during.others[0])
    organiser = api.as_user(during.organiser)
    answer = organiser.post(path)
    assert answer.status_code == 200 and answer.json["arrived"] and answer.json["arrived_at"]
    _as_documented(app, "POST", "/arenas/{arena_id}/check-ins/{participant_id}", answer)
    assert _arrived(db, during.others[0])
    assert api.as_user(during.me.user).delete(path).status_code == 403
    undone = organiser.delete(path)
    assert undone.json["arrived"] is False
    _as_documented(app, "DELETE", "/arenas/{arena_id}/check-ins/{participant_id}", undone)
    assert not _arrived(db, during.others[0])
    assert organiser.post(f"/api/v1/arenas/{during.arena.id}/check-ins/999999").status_code == 404


def test_api_rating(app, api, db, during):
    rating = f"/api/v1/arenas/{during.arena.id}/meetings/{{}}/rating"
    path = rating.format(during.meetings[0].id)
    me = api.as_user(during.me.user)
    answer = me.put(path, json={"score": 5, "follow_up": True})
    assert answer.status_code == 200, answer.json
    assert answer.json["score"] == 5 and f"meeting={during.meetings[0].id}" in answer.json["propose_url"]
    _as_documented(app, "PUT", "/arenas/{arena_id}/meetings/{meeting_id}/rating", answer)
    assert me.put(path, json={"score": 9}).status_code == 422
    assert me.put(path, json={"score": 3, "stars": 3}).status_code == 422
    assert me.put(rating.format(during.meetings[2].id), json={"score": 3}).status_code == 409
    assert api.as_user(during.bystander.user).put(path, json={"score": 1}).status_code == 404
    assert _ratings(db, during.meetings[0]) == [(during.me.id, 5, True)]


def test_an_arena_runs_today_by_its_own_time_zone(make, db):
    late_evening = datetime.fromisoformat("2030-06-03T23:00:00+00:00")  # already 4 June at UTC+14
    here, far_east, elsewhen = (make.arena(day=day, slots=2) for day in ("2030-06-03", "2030-06-03", "2030-06-05"))
    far_east.timezone = "Pacific/Kiritimati"
    db.commit()
    arenas = [here, far_east, elsewhen]
    assert event_day.arenas_running_today(db, arenas, late_evening) == {here.id}
    assert [event_day.runs_today(arena, late_evening) for arena in arenas] == [True, False, False]
