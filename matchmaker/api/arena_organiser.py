"""/api/v1/arenas for their organisers (and administrators): registrations and their approval, the
scheduler, the grid and its manual changes, publishing, the CSV export and the arena's figures.
Thin handlers over the same services as the organiser's pages. A refused change answers its
error, and the request's transaction is rolled back, so nothing of it is kept."""

from __future__ import annotations

from flask import Response, current_app, g

from matchmaker.api import api_blueprint as bp
from matchmaker.api import arena_schemas as schemas
from matchmaker.api.arenas import ARENA, file_operation, operation
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
def list_arena_registrations(arena_id: int):
    db, arena = _organised_arena(arena_id)
    return schemas.registration_list(registration.registrations(db, g.api_user, arena))


@bp.post(f"{ARENA}/registrations/<int:participant_id>/decision")
def decide_arena_registration(arena_id: int, participant_id: int):
    db, arena = _organised_arena(arena_id)
    participant = registration.get_registration(db, arena, participant_id)
    wanted = parse_body(schemas.DecisionInput)
    return schemas.registration(registration.decide(db, g.api_user, participant, wanted.decision == "approve"))


@bp.get(f"{ARENA}/schedule")
def get_schedule_grid(arena_id: int):
    db, arena = _organised_arena(arena_id)
    return schemas.schedule_grid(agenda.grid(db, g.api_user, arena))


@bp.post(f"{ARENA}/schedule/run")
def run_scheduler(arena_id: int):
    db, arena = _organised_arena(arena_id)
    seconds = current_app.config["ARENA_SCHEDULER_SECONDS"]
    return schemas.scheduler_run(schedule.run_scheduler(db, g.api_user, arena, seconds))


@bp.post(f"{ARENA}/schedule/publish")
def publish_schedule(arena_id: int):
    db, arena = _organised_arena(arena_id)
    return schemas.PublishResult(published=schedule.publish(db, g.api_user, arena)).model_dump()


@bp.post(f"{MEETING}/move")
def move_meeting(arena_id: int, meeting_id: int):
    db, arena, meeting = _organised_meeting(arena_id, meeting_id)
    wanted = parse_body(schemas.MoveInput)
    return schemas.placed_meeting(schedule.move_meeting(db, g.api_user, arena, meeting, wanted.slot_id,
                                                        wanted.table_id))


@bp.post(f"{MEETING}/lock")
def lock_meeting(arena_id: int, meeting_id: int):
    db, arena, meeting = _organised_meeting(arena_id, meeting_id)
    return schemas.placed_meeting(schedule.set_locked(db, g.api_user, arena, meeting, True))


@bp.post(f"{MEETING}/unlock")
def unlock_meeting(arena_id: int, meeting_id: int):
    db, arena, meeting = _organised_meeting(arena_id, meeting_id)
    return schemas.placed_meeting(schedule.set_locked(db, g.api_user, arena, meeting, False))


@bp.post(f"{MEETING}/remove")
def remove_meeting(arena_id: int, meeting_id: int):
    db, arena, meeting = _organised_meeting(arena_id, meeting_id)
    return schemas.placed_meeting(schedule.remove_meeting(db, g.api_user, arena, meeting))


@bp.get(f"{ARENA}/schedule.csv")
def export_schedule(arena_id: int):
    db, arena = _organised_arena(arena_id)
    body = agenda.grid_csv(arena, agenda.grid(db, g.api_user, arena))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="arena-{arena.id}-schedule.csv"'})


@bp.get(f"{ARENA}/stats")
def get_arena_figures(arena_id: int):
    db, arena = _organised_arena(arena_id)
    return schemas.arena_figures(stats.arena_stats(db, g.api_user, arena))


def organiser_paths() -> dict:
    """The OpenAPI paths of this module's routes; all of them refuse others with 403."""
    item = "/arenas/{arena_id}"
    meeting = f"{item}/meetings/{{meeting_id}}"
    decision = operation("decide_arena_registration", "Registration", ("403",), "DecisionInput")
    decision["parameters"].append({"name": "participant_id", "in": "path", "required": True,
                                   "schema": {"type": "integer"}})
    changes = {action: {"post": operation(f"{action}_meeting", "PlacedMeeting", ("403", "409"), meeting=True)}
               for action in ("lock", "unlock", "remove")}
    return {
        f"{item}/registrations": {"get": operation("list_arena_registrations", "RegistrationList", ("403",))},
        f"{item}/registrations/{{participant_id}}/decision": {"post": decision},
        f"{item}/schedule": {"get": operation("get_schedule_grid", "ScheduleGrid", ("403",))},
        f"{item}/schedule/run": {"post": operation("run_scheduler", "SchedulerRun", ("403", "409"))},
        f"{item}/schedule/publish": {"post": operation("publish_schedule", "PublishResult", ("403",))},
        f"{meeting}/move": {"post": operation("move_meeting", "PlacedMeeting", ("403", "409"), "MoveInput",
                                              meeting=True)},
        **{f"{meeting}/{action}": described for action, described in changes.items()},
        f"{item}/schedule.csv": {"get": file_operation("export_schedule", "text/csv",
                                                       "The placed meetings, one row each")},
        f"{item}/stats": {"get": operation("get_arena_figures", "ArenaFigures", ("403",))},
    }
