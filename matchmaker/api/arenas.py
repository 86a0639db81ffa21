"""/api/v1/arenas for participants: the arenas, registering, availability, recommended meetings,
requests and the personal agenda. Thin handlers over the same services as the arena pages, so the
API refuses and allows exactly what the pages do."""

from __future__ import annotations

from flask import Response, g, request, url_for
from sqlalchemy.orm import Session

from matchmaker.api import api_blueprint as bp
from matchmaker.api import arena_schemas as schemas
from matchmaker.api.openapi import _id_parameter, _json, _responses
from matchmaker.api.params import parse_body
from matchmaker.database import get_session
from matchmaker.matching.runtime import get_engine
from matchmaker.models import Arena, ArenaParticipant
from matchmaker.services.arenas import access, agenda, registration, requests
from matchmaker.services.arenas.recommend import recommendations

ARENA = "/arenas/<int:arena_id>"
MEETING = f"{ARENA}/meetings/<int:meeting_id>"


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
def list_arenas():
    return schemas.arena_list(access.list_arenas(get_session(), g.api_user))


@bp.get(ARENA)
def get_arena(arena_id: int):
    db, arena = _arena(arena_id)
    requests.expire_overdue(db, arena)
    return _arena_detail(db, arena)


@bp.post(f"{ARENA}/registration")
def register_for_arena(arena_id: int):
    db, arena = _arena(arena_id)
    wanted = parse_body(schemas.RegisterRequest)
    participant = registration.register(db, g.api_user, arena, wanted.profile_id)
    return schemas.registration(participant), 201, {"Location": url_for("api.get_arena", arena_id=arena.id)}


@bp.patch(f"{ARENA}/registration")
def update_arena_registration(arena_id: int):
    db, arena = _arena(arena_id)
    me = access.ensure_registered(db, g.api_user, arena)
    wanted = parse_body(schemas.RegistrationUpdate)
    changes = {"profile_id": me.profile_id, "max_meetings": me.max_meetings,
               **wanted.model_dump(include=wanted.model_fields_set)}
    registration.update_registration(db, g.api_user, me, changes["profile_id"], changes["max_meetings"])
    return schemas.registration(me)


@bp.get(f"{ARENA}/availability")
def get_availability(arena_id: int):
    _db, arena, me = _as_participant(arena_id)
    return schemas.availability(arena, registration.available_slot_ids(me))


@bp.put(f"{ARENA}/availability")
def set_availability(arena_id: int):
    db, arena, me = _as_participant(arena_id)
    wanted = parse_body(schemas.AvailabilityInput)
    registration.set_availability(db, g.api_user, me, wanted.available_slot_ids)
    return schemas.availability(arena, registration.available_slot_ids(me))


@bp.get(f"{ARENA}/participants")
def list_arena_participants(arena_id: int):
    db, arena, me = _as_participant(arena_id)
    others = [p for p in registration.approved_participants(db, arena) if p.id != me.id]
    return schemas.participant_list(others, requests.open_partner_ids(db, me))


@bp.get(f"{ARENA}/recommendations")
def recommended_meetings(arena_id: int):
    db, arena, me = _as_participant(arena_id)
    return schemas.recommendation_list(recommendations(db, get_engine(), g.api_user, arena, me))


@bp.get(f"{ARENA}/requests")
def list_meeting_requests(arena_id: int):
    db, arena, me = _as_participant(arena_id)
    requests.expire_overdue(db, arena)
    return schemas.my_meeting_list(requests.meetings_of(db, me), me)


@bp.post(f"{ARENA}/requests")
def request_meeting(arena_id: int):
    db, arena = _arena(arena_id)
    wanted = parse_body(schemas.MeetingRequestInput)
    meeting = requests.request_meeting(db, get_engine(), g.api_user, arena, wanted.recipient_id, wanted.note,
                                       wanted.third_id)
    me = access.seat_of(meeting, g.api_user)
    location = url_for("api.list_meeting_requests", arena_id=arena.id)
    return schemas.my_meeting(meeting, me), 201, {"Location": location}


@bp.post(f"{MEETING}/answer")
def answer_meeting_request(arena_id: int, meeting_id: int):
    db, arena = _arena(arena_id)
    meeting = access.get_meeting(db, arena, meeting_id)
    wanted = parse_body(schemas.AnswerInput)
    requests.respond(db, g.api_user, meeting, wanted.answer == "accept", wanted.note)
    return schemas.my_meeting(meeting, meeting.recipient)


@bp.post(f"{MEETING}/cancel")
def cancel_meeting(arena_id: int, meeting_id: int):
    db, arena = _arena(arena_id)
    meeting = requests.cancel(db, g.api_user, access.get_meeting(db, arena, meeting_id))
    return schemas.my_meeting(meeting, access.seat_of(meeting, g.api_user))


@bp.get(f"{ARENA}/agenda")
def get_agenda(arena_id: int):
    db, _, me = _as_participant(arena_id)
    return schemas.agenda(agenda.agenda(db, me), agenda.waiting_for_schedule(db, me), me)


@bp.get(f"{ARENA}/agenda.ics")
def get_agenda_calendar(arena_id: int):
    db, arena, me = _as_participant(arena_id)
    body = agenda.agenda_calendar(arena, me, agenda.agenda(db, me), request.host_url)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="arena-{arena.id}-agenda.ics"'})


# --- the OpenAPI document -----------------------------------------------------------------------

def operation(operation_id: str, model: str, errors: tuple[str, ...], body: str | None = None,
              ok: str = "200", meeting: bool = False) -> dict:
    """One arena operation; every one takes the arena's id, and some a meeting's."""
    parameters = [_id_parameter("arena_id"), *([_id_parameter("meeting_id")] if meeting else [])]
    errors = ("400", "422", *errors) if body else errors
    described = {"operationId": operation_id, "parameters": parameters,
                 "responses": _responses(ok, model, ("401", "404", *sorted(set(errors))))}
    if body:
        described["requestBody"] = {"required": True, **_json(body)}
    return described


def file_operation(operation_id: str, mimetype: str, description: str) -> dict:
    responses = _responses("200", "Error", ("401", "403", "404"))
    responses["200"] = {"description": description, "content": {mimetype: {"schema": {"type": "string"}}}}
    return {"operationId": operation_id, "parameters": [_id_parameter("arena_id")], "responses": responses}


def participant_paths() -> dict:
    """The OpenAPI paths of this module's routes."""
    item = "/arenas/{arena_id}"
    meeting = f"{item}/meetings/{{meeting_id}}"
    return {
        "/arenas": {"get": {"operationId": "list_arenas", "responses": _responses("200", "ArenaList", ("401",))}},
        item: {"get": operation("get_arena", "ArenaDetail", ())},
        f"{item}/registration": {
            "post": operation("register_for_arena", "Registration", ("403", "409"), "RegisterRequest", "201"),
            "patch": operation("update_arena_registration", "Registration", ("403",), "RegistrationUpdate")},
        f"{item}/availability": {
            "get": operation("get_availability", "Availability", ("403",)),
            "put": operation("set_availability", "Availability", ("403",), "AvailabilityInput")},
        f"{item}/participants": {"get": operation("list_arena_participants", "ParticipantList", ("403",))},
        f"{item}/recommendations": {"get": operation("recommended_meetings", "RecommendationList", ("403",))},
        f"{item}/requests": {
            "get": operation("list_meeting_requests", "MyMeetingList", ("403",)),
            "post": operation("request_meeting", "MyMeeting", ("403", "409"), "MeetingRequestInput", "201")},
        f"{meeting}/answer": {"post": operation("answer_meeting_request", "MyMeeting", ("403", "409"),
                                                "AnswerInput", meeting=True)},
        f"{meeting}/cancel": {"post": operation("cancel_meeting", "MyMeeting", ("409",), meeting=True)},
        f"{item}/agenda": {"get": operation("get_agenda", "Agenda", ("403",))},
        f"{item}/agenda.ics": {"get": file_operation("get_agenda_calendar", "text/calendar",
                                                     "Your published meetings as an iCalendar file")},
    }
