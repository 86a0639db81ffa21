"""/api/v1/arenas/{arena_id}/…: the arena's day through the API, as thin handlers over the same
services as the pages: a participant's now and next, the organiser's check-in, and rating a
meeting after it has ended."""

from __future__ import annotations

from typing import Literal

from flask import g, url_for
from pydantic import BaseModel, Field

from matchmaker.api import api_blueprint as bp
from matchmaker.api.collaboration_schemas import Request
from matchmaker.api.documented import documented
from matchmaker.api.params import parse_body
from matchmaker.api.schemas import Timestamp
from matchmaker.database import get_session
from matchmaker.models import ArenaParticipant, Meeting, MeetingRating
from matchmaker.models.event_day import HIGHEST_SCORE, LOWEST_SCORE
from matchmaker.services.arenas import access, check_in, event_day

ARENA = "/arenas/<int:arena_id>"


class MeetingPerson(BaseModel):
    participant_id: int
    name: str = Field(description="The person, their organisation and its parent, as the pages name them.")


class DayMeeting(BaseModel):
    id: int
    starts_at: Timestamp
    ends_at: Timestamp
    table: str
    people: list[MeetingPerson] = Field(description="The others at the table.")
    why: str = Field(description="The match reason the meeting carries; empty if none.")
    note: str


class NowAndNext(BaseModel):
    arena_id: int
    timezone: str = Field(description="The arena's time zone, in which the pages show its times.")
    state: Literal["none", "before", "during", "done"] = Field(
        description="none: no meetings; before: none has started; during; done: all have ended.")
    current: DayMeeting | None
    next: DayMeeting | None
    first: DayMeeting | None
    refresh_seconds: int


class CheckIn(BaseModel):
    participant_id: int
    name: str
    arrived: bool
    arrived_at: Timestamp | None


class RatingRequest(Request):
    score: int = Field(ge=LOWEST_SCORE, le=HIGHEST_SCORE)
    follow_up: bool = Field(default=False, description="Whether you want to follow the meeting up.")


class Rating(BaseModel):
    meeting_id: int
    score: int
    follow_up: bool
    rated_at: Timestamp
    propose_url: str | None = Field(description="Where to propose a test collaboration from the meeting, when "
                                                "you asked to follow up and the meeting joins a need and a product.")


def _day_meeting(meeting: Meeting | None, me: ArenaParticipant) -> dict | None:
    if meeting is None:
        return None
    people = [{"participant_id": p.id, "name": p.display_name} for p in meeting.participants if p.id != me.id]
    return {"id": meeting.id, "starts_at": meeting.slot.start, "ends_at": meeting.slot.end,
            "table": meeting.table.display_name, "people": people, "why": event_day.why(meeting, me),
            "note": meeting.note}


@bp.get(f"{ARENA}/now-and-next")
@documented("get_now_and_next", NowAndNext, errors=("403", "404"))
def get_now_and_next(arena_id: int):
    db = get_session()
    arena = access.get_arena(db, g.api_user, arena_id)
    me = access.ensure_approved_participant(db, g.api_user, arena)
    day = event_day.now_and_next(db, me)
    return NowAndNext.model_validate({
        "arena_id": arena.id, "timezone": arena.timezone, "state": day.state,
        "current": _day_meeting(day.current, me), "next": _day_meeting(day.next, me),
        "first": _day_meeting(day.first, me), "refresh_seconds": event_day.REFRESH_SECONDS}).model_dump(mode="json")


def _check_in_answer(participant: ArenaParticipant) -> dict:
    arrival = check_in.arrival_of(get_session(), participant)
    return CheckIn.model_validate({
        "participant_id": participant.id, "name": participant.display_name, "arrived": arrival is not None,
        "arrived_at": arrival.arrived_at if arrival else None}).model_dump(mode="json")


@bp.post(f"{ARENA}/check-ins/<int:participant_id>")
@documented("check_in_participant", CheckIn, errors=("403", "404"))
def check_in_participant(arena_id: int, participant_id: int):
    return _change_arrival(check_in.check_in, arena_id, participant_id)


@bp.delete(f"{ARENA}/check-ins/<int:participant_id>")
@documented("undo_check_in", CheckIn, errors=("403", "404"))
def undo_check_in(arena_id: int, participant_id: int):
    return _change_arrival(check_in.undo_check_in, arena_id, participant_id)


def _change_arrival(change, arena_id: int, participant_id: int):
    db = get_session()
    arena = access.get_arena(db, g.api_user, arena_id)
    access.ensure_organiser(g.api_user, arena)  # before the registration is looked up: others learn nothing
    participant = check_in.arena_participant(db, arena, participant_id)
    change(db, g.api_user, arena, participant)
    return _check_in_answer(participant)


@bp.put(f"{ARENA}/meetings/<int:meeting_id>/rating")
@documented("rate_meeting", Rating, errors=("400", "404", "409", "422"), body=RatingRequest)
def rate_meeting(arena_id: int, meeting_id: int):
    db = get_session()
    meeting = access.get_meeting(db, access.get_arena(db, g.api_user, arena_id), meeting_id)
    access.ensure_party(meeting, g.api_user)  # a stranger's meeting is not found, whatever the body
    wanted = parse_body(RatingRequest)
    rating = event_day.rate_meeting(db, g.api_user, meeting, wanted.score, wanted.follow_up)
    return _rating_answer(meeting, rating)


def _rating_answer(meeting: Meeting, rating: MeetingRating) -> dict:
    proposal = event_day.proposal_profiles(meeting, access.seat_of(meeting, g.api_user)) if rating.follow_up else None
    url = url_for("collaborations.new", need=proposal[0].id, capability=proposal[1].id, meeting=meeting.id) \
        if proposal else None
    return Rating.model_validate({"meeting_id": meeting.id, "score": rating.score, "follow_up": rating.follow_up,
                                  "rated_at": rating.rated_at, "propose_url": url}).model_dump(mode="json")
