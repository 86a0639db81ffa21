"""/api/v1/arenas for their organisers (and administrators): registrations and their approval, the
scheduler, the grid and its manual changes, publishing, the CSV export and the arena's figures.
Thin handlers over the same services as the organiser's pages. A refused change answers its
error, and the request's transaction is rolled back, so nothing of it is kept."""

from __future__ import annotations

from flask import Response, current_app, g

from matchmaker.api import api_blueprint as bp
from matchmaker.api import arena_schemas as schemas
from matchmaker.api.arenas import ARENA, arena_file, on_arena
from matchmaker.api.params import parse_body
from matchmaker.database import get_session
from matchmaker.services.arenas import access, agenda, registration, schedule, stats

MEETING = f"{ARENA}/meetings/<int:meeting_id>"


def _organised_arena(arena_id: int):
    db = get_session()
    arena = access.get_arena(db, g.api_user, arena_id)
    access.ensure_organiser(g.api_user, arena)
    return db, arena


def _organised_meeting(arena_id: int, meeting_id: int):
    db, arena = _organised_arena(arena_id)
    return db, arena, access.get_meeting(db, arena, meeting_id)


@bp.get(f"{ARENA}/registrations")
@on_arena("list_arena_registrations", schemas.RegistrationList, ("403",))
def list_arena_registrations(arena_id: int):
    db, arena = _organised_arena(arena_id)
    return schemas.registration_list(registration.registrations(db, g.api_user, arena))


@bp.post(f"{ARENA}/registrations/<int:participant_id>/decision")
@on_arena("decide_arena_registration", schemas.Registration, ("403",), schemas.DecisionInput)
def decide_arena_registration(arena_id: int, participant_id: int):
    db, arena = _organised_arena(arena_id)
    participant = registration.get_registration(db, arena, participant_id)
    wanted = parse_body(schemas.DecisionInput)
    return schemas.registration(registration.decide(db, g.api_user, participant, wanted.decision == "approve"))


@bp.get(f"{ARENA}/schedule")
@on_arena("get_schedule_grid", schemas.ScheduleGrid, ("403",))
def get_schedule_grid(arena_id: int):
    db, arena = _organised_arena(arena_id)
    return schemas.schedule_grid(agenda.grid(db, g.api_user, arena))


@bp.post(f"{ARENA}/schedule/run")
@on_arena("run_scheduler", schemas.SchedulerRun, ("403", "409"))
def run_scheduler(arena_id: int):
    db, arena = _organised_arena(arena_id)
    seconds = current_app.config["ARENA_SCHEDULER_SECONDS"]
    return schemas.scheduler_run(schedule.run_scheduler(db, g.api_user, arena, seconds))


@bp.post(f"{ARENA}/schedule/publish")
@on_arena("publish_schedule", schemas.PublishResult, ("403",))
def publish_schedule(arena_id: int):
    db, arena = _organised_arena(arena_id)
    return schemas.PublishResult(published=schedule.publish(db, g.api_user, arena)).model_dump()


@bp.post(f"{MEETING}/move")
@on_arena("move_meeting", schemas.PlacedMeeting, ("403", "409"), schemas.MoveInput)
def move_meeting(arena_id: int, meeting_id: int):
    db, arena, meeting = _organised_meeting(arena_id, meeting_id)
    wanted = parse_body(schemas.MoveInput)
    return schemas.placed_meeting(schedule.move_meeting(db, g.api_user, arena, meeting, wanted.slot_id,
                                                        wanted.table_id))


@bp.post(f"{MEETING}/lock")
@on_arena("lock_meeting", schemas.PlacedMeeting, ("403", "409"))
def lock_meeting(arena_id: int, meeting_id: int):
    db, arena, meeting = _organised_meeting(arena_id, meeting_id)
    return schemas.placed_meeting(schedule.set_locked(db, g.api_user, arena, meeting, True))


@bp.post(f"{MEETING}/unlock")
@on_arena("unlock_meeting", schemas.PlacedMeeting, ("403", "409"))
def unlock_meeting(arena_id: int, meeting_id: int):
    db, arena, meeting = _organised_meeting(arena_id, meeting_id)
    return schemas.placed_meeting(schedule.set_locked(db, g.api_user, arena, meeting, False))


@bp.post(f"{MEETING}/remove")
@on_arena("remove_meeting", schemas.PlacedMeeting, ("403", "409"))
def remove_meeting(arena_id: int, meeting_id: int):
    db, arena, meeting = _organised_meeting(arena_id, meeting_id)
    return schemas.placed_meeting(schedule.remove_meeting(db, g.api_user, arena, meeting))


@bp.get(f"{ARENA}/schedule.csv")
@arena_file("export_schedule", "text/csv", "The placed meetings, one row each")
def export_schedule(arena_id: int):
    db, arena = _organised_arena(arena_id)
    body = agenda.grid_csv(arena, agenda.grid(db, g.api_user, arena))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="arena-{arena.id}-schedule.csv"'})


@bp.get(f"{ARENA}/stats")
@on_arena("get_arena_figures", schemas.ArenaFigures, ("403",))
def get_arena_figures(arena_id: int):
    db, arena = _organised_arena(arena_id)
    return schemas.arena_figures(stats.arena_stats(db, g.api_user, arena))
