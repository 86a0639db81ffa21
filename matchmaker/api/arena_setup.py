"""/api/v1/arenas: setting an arena up and changing it (organisers and administrators), and marking
whether a held meeting took place (its parties and the organisers). Thin handlers over the same
services as the arena pages; a refused change answers its error and keeps nothing of it."""

from __future__ import annotations

from flask import g, url_for

from matchmaker.api import api_blueprint as bp
from matchmaker.api import arena_setup_schemas as schemas
from matchmaker.api.arena_organiser import MEETING
from matchmaker.api.arena_schemas import ArenaDetail
from matchmaker.api.arenas import ARENA, _arena_detail, on_arena
from matchmaker.api.documented import documented
from matchmaker.api.params import parse_body
from matchmaker.database import get_session
from matchmaker.services.arenas import access, agenda, setup


@bp.post("/arenas")
@documented("create_arena", ArenaDetail, status=201, errors=("400", "403", "422"), body=schemas.ArenaInput)
def create_arena():
    # Refused before the body is read, as the page refuses its form.
    access.ensure_can_create_arena(g.api_user)
    db = get_session()
    wanted = parse_body(schemas.ArenaInput)
    arena = setup.create_arena(db, g.api_user, schemas.service_data(wanted, set(type(wanted).model_fields)))
    return _arena_detail(db, arena), 201, {"Location": url_for("api.get_arena", arena_id=arena.id)}


@bp.patch(ARENA)
@on_arena("update_arena", ArenaDetail, ("403", "409"), schemas.ArenaUpdate)
def update_arena(arena_id: int):
    db = get_session()
    arena = access.get_arena(db, g.api_user, arena_id)
    access.ensure_organiser(g.api_user, arena)
    wanted = parse_body(schemas.ArenaUpdate)
    # The page sends the whole form; left-out fields keep the arena's own values the same way.
    data = setup.arena_values(arena) | schemas.service_data(wanted, wanted.model_fields_set)
    setup.update_arena(db, g.api_user, arena, data)
    return _arena_detail(db, arena)


@bp.post(f"{MEETING}/attendance")
@on_arena("record_attendance", schemas.MarkedMeeting, ("409",), schemas.AttendanceInput)
def record_attendance(arena_id: int, meeting_id: int):
    db = get_session()
    arena = access.get_arena(db, g.api_user, arena_id)
    meeting = access.get_meeting(db, arena, meeting_id)
    agenda.ensure_may_mark(g.api_user, arena, meeting)
    wanted = parse_body(schemas.AttendanceInput)
    agenda.record_attendance(db, g.api_user, arena, meeting, wanted.attendance, wanted.outcome, wanted.outcome_note)
    return schemas.marked_meeting(meeting)
