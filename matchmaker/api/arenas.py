"""/api/v1/arenas for participants: the arenas, registering, availability, recommended meetings,
requests and the personal agenda. Thin handlers over the same services as the arena pages, so the
API refuses and allows exactly what the pages do."""

from __future__ import annotations

from flask import Response, g, request, url_for
from sqlalchemy.orm import Session

from matchmaker.api import api_blueprint as bp
from matchmaker.api import arena_schemas as schemas
from matchmaker.api.documented import documented
from matchmaker.api.params import parse_body
from matchmaker.database import get_session
from matchmaker.matching.runtime import get_engine
from matchmaker.models import Arena, ArenaParticipant
from matchmaker.services.arenas import access, agenda, registration, requests
from matchmaker.services.arenas.recommend import recommendations

ARENA = "/arenas/<int:arena_id>"
MEETING = f"{ARENA}/meetings/<int:meeting_id>"


def on_arena(operation_id: str, answer, errors: tuple[str, ...] = (), body=None, status: int = 200):
    """Marks an operation on one arena: an arena not found or hidden answers 404, and a body that is
    malformed or does not fit 400 or 422."""
    errors = ("400", "404", "422", *errors) if body else ("404", *errors)
    return documented(operation_id, answer, status=status, errors=tuple(sorted(set(errors))), body=body)


def arena_file(operation_id: str, media_type: str, description: str):
    return documented(operation_id, {"type": "string"}, errors=("403", "404"), media_type=media_type,
                      answer_description=description)


def _arena(arena_id: int) -> tuple[Session, Arena]:
    db = get_session()
    return db, access.get_arena(db, g.api_user, arena_id)


def _as_participant(arena_id: int) -> tuple[Session, Arena, ArenaParticipant]:
    db, arena = _arena(arena_id)
    return db, arena, access.ensure_approved_participant(db, g.api_user, arena)


def _arena_detail(db: Session, arena: Arena) -> dict:
    return schemas.arena_detail(arena, access.registration_of(db, g.api_user, arena),
                                access.is_organiser(g.api_user, arena), access.can_take_part(g.api_user))


@bp.get("/arenas")
@documented("list_arenas", schemas.ArenaList)
def list_arenas():
    return schemas.arena_list(access.list_arenas(get_session(), g.api_user))


@bp.get(ARENA)
@on_arena("get_arena", schemas.ArenaDetail)
def get_arena(arena_id: int):
    db, arena = _arena(arena_id)
    requests.expire_overdue(db, arena)
    return _arena_detail(db, arena)


@bp.post(f"{ARENA}/registration")
@on_arena("register_for_arena", schemas.Registration, ("403", "409"), schemas.RegisterRequest, 201)
def register_for_arena(arena_id: int):
    db, arena = _arena(arena_id)
    wanted = parse_body(schemas.RegisterRequest)
    participant = registration.register(db, g.api_user, arena, wanted.profile_id)
    return schemas.registration(participant), 201, {"Location": url_for("api.get_arena", arena_id=arena.id)}


@bp.patch(f"{ARENA}/registration")
@on_arena("update_arena_registration", schemas.Registration, ("403",), schemas.RegistrationUpdate)
def update_arena_registration(arena_id: int):
    db, arena = _arena(arena_id)
    me = access.ensure_registered(db, g.api_user, arena)
    wanted = parse_body(schemas.RegistrationUpdate)
    changes = {"profile_id": me.profile_id, "max_meetings": me.max_meetings,
               **wanted.model_dump(include=wanted.model_fields_set)}
    registration.update_registration(db, g.api_user, me, changes["profile_id"], changes["max_meetings"])
    return schemas.registration(me)


@bp.get(f"{ARENA}/availability")
@on_arena("get_availability", schemas.Availability, ("403",))
def get_availability(arena_id: int):
    _db, arena, me = _as_participant(arena_id)
    return schemas.availability(arena, registration.available_slot_ids(me))


@bp.put(f"{ARENA}/availability")
@on_arena("set_availability", schemas.Availability, ("403",), schemas.AvailabilityInput)
def set_availability(arena_id: int):
    db, arena, me = _as_participant(arena_id)
    wanted = parse_body(schemas.AvailabilityInput)
    registration.set_availability(db, g.api_user, me, wanted.available_slot_ids)
    return schemas.availability(arena, registration.available_slot_ids(me))


@bp.get(f"{ARENA}/participants")
@on_arena("list_arena_participants", schemas.ParticipantList, ("403",))
def list_arena_participants(arena_id: int):
    db, arena, me = _as_participant(arena_id)
    others = [p for p in registration.approved_participants(db, arena) if p.id != me.id]
    return schemas.participant_list(others, requests.open_partner_ids(db, me))


@bp.get(f"{ARENA}/recommendations")
@on_arena("recommended_meetings", schemas.RecommendationList, ("403",))
def recommended_meetings(arena_id: int):
    db, arena, me = _as_participant(arena_id)
    return schemas.recommendation_list(recommendations(db, get_engine(), g.api_user, arena, me))


@bp.get(f"{ARENA}/requests")
@on_arena("list_meeting_requests", schemas.MyMeetingList, ("403",))
def list_meeting_requests(arena_id: int):
    db, arena, me = _as_participant(arena_id)
    requests.expire_overdue(db, arena)
    return schemas.my_meeting_list(requests.meetings_of(db, me), me)


@bp.post(f"{ARENA}/requests")
@on_arena("request_meeting", schemas.MyMeeting, ("403", "409"), schemas.MeetingRequestInput, 201)
def request_meeting(arena_id: int):
    db, arena = _arena(arena_id)
    wanted = parse_body(schemas.MeetingRequestInput)
    meeting = requests.request_meeting(db, get_engine(), g.api_user, arena, wanted.recipient_id, wanted.note,
                                       wanted.third_id)
    me = access.seat_of(meeting, g.api_user)
    location = url_for("api.list_meeting_requests", arena_id=arena.id)
    return schemas.my_meeting(meeting, me), 201, {"Location": location}


@bp.post(f"{MEETING}/answer")
@on_arena("answer_meeting_request", schemas.MyMeeting, ("403", "409"), schemas.AnswerInput)
def answer_meeting_request(arena_id: int, meeting_id: int):
    db, arena = _arena(arena_id)
    meeting = access.get_meeting(db, arena, meeting_id)
    wanted = parse_body(schemas.AnswerInput)
    requests.respond(db, g.api_user, meeting, wanted.answer == "accept", wanted.note)
    return schemas.my_meeting(meeting, meeting.recipient)


@bp.post(f"{MEETING}/cancel")
@on_arena("cancel_meeting", schemas.MyMeeting, ("409",))
def cancel_meeting(arena_id: int, meeting_id: int):
    db, arena = _arena(arena_id)
    meeting = requests.cancel(db, g.api_user, access.get_meeting(db, arena, meeting_id))
    return schemas.my_meeting(meeting, access.seat_of(meeting, g.api_user))


@bp.get(f"{ARENA}/agenda")
@on_arena("get_agenda", schemas.Agenda, ("403",))
def get_agenda(arena_id: int):
    db, _, me = _as_participant(arena_id)
    return schemas.agenda(agenda.agenda(db, me), agenda.waiting_for_schedule(db, me), me)


@bp.get(f"{ARENA}/agenda.ics")
@arena_file("get_agenda_calendar", "text/calendar", "Your published meetings as an iCalendar file")
def get_agenda_calendar(arena_id: int):
    db, arena, me = _as_participant(arena_id)
    body = agenda.agenda_calendar(arena, me, agenda.agenda(db, me), request.host_url)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="arena-{arena.id}-agenda.ics"'})
