"""The organiser's side of an arena: registrations, the schedule grid with its manual controls,
exports and printable pages, and the dashboard."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from matchmaker.database import get_session
from matchmaker.i18n import arena_range
from matchmaker.services.arenas import access, agenda, check_in, event_day, registration, schedule, stats
from matchmaker.services.errors import Conflict, ValidationFailed
from matchmaker.web.arena_forms import MoveForm
from matchmaker.web.arenas import arena_context
from matchmaker.web.helpers import RefusedChange

bp = Blueprint("arena_organiser", __name__, url_prefix="/arenas/<int:arena_id>")
bp.context_processor(arena_context)


def _organised_arena(arena_id: int):
    arena = access.get_arena(get_session(), current_user, arena_id)
    access.ensure_organiser(current_user, arena)
    return arena


@bp.get("/registrations")
def registrations(arena_id: int):
    arena = _organised_arena(arena_id)
    people = registration.registrations(get_session(), current_user, arena)
    return render_template("arenas/registrations.html", arena=arena, people=people)


@bp.post("/registrations/<int:participant_id>")
def decide(arena_id: int, participant_id: int):
    db, arena = get_session(), _organised_arena(arena_id)
    participant = registration.get_registration(db, arena, participant_id)
    approve = request.form.get("action") == "approve"
    registration.decide(db, current_user, participant, approve)
    flash(_("%(name)s approved.", name=participant.display_name) if approve
          else _("%(name)s declined.", name=participant.display_name), "success")
    return redirect(url_for("arena_organiser.registrations", arena_id=arena.id))


@bp.get("/schedule")
def schedule_grid(arena_id: int):
    db, arena = get_session(), _organised_arena(arena_id)
    layout = agenda.grid(db, current_user, arena)
    form = MoveForm()
    form.slot_id.choices = [(s.id, _slot_label(arena, s)) for s in layout.slots]
    form.table_id.choices = [(t.id, t.display_name) for t in layout.tables]
    selected_id = request.args.get("meeting", type=int)
    selected = access.get_meeting(db, arena, selected_id) if selected_id else None
    return render_template("arenas/schedule.html", arena=arena, grid=layout, form=form, selected=selected,
                           slot_label=lambda s: _slot_label(arena, s), arrived=set(check_in.arrivals(db, arena)))


def _slot_label(arena, slot) -> str:
    return arena_range(arena, slot.start, slot.end)


@bp.post("/schedule/run")
def run(arena_id: int):
    db, arena = get_session(), _organised_arena(arena_id)
    # A meeting changed while the scheduler ran: Conflict, and nothing of this run is kept.
    figures = schedule.run_scheduler(db, current_user, arena, current_app.config["ARENA_SCHEDULER_SECONDS"])
    flash(ngettext("The scheduler placed %(num)d meeting.", "The scheduler placed %(num)d meetings.", figures["placed"])
          + " " + ngettext("%(num)d could not be placed; see why below.", "%(num)d could not be placed; see why below.",
                           figures["unscheduled"]) * bool(figures["unscheduled"]), "success")
    return redirect(url_for("arena_organiser.schedule_grid", arena_id=arena.id))


@bp.post("/schedule/publish")
def publish(arena_id: int):
    db, arena = get_session(), _organised_arena(arena_id)
    count = schedule.publish(db, current_user, arena)
    flash(ngettext("Schedule published: %(num)d new meeting is in the participants' agendas.",
                   "Schedule published: %(num)d new meetings are in the participants' agendas.", count), "success")
    return redirect(url_for("arena_organiser.schedule_grid", arena_id=arena.id))


@bp.post("/meetings/<int:meeting_id>/<any(move, lock, unlock, remove):action>")
def change_meeting(arena_id: int, meeting_id: int, action: str):
    db, arena = get_session(), _organised_arena(arena_id)
    meeting = access.get_meeting(db, arena, meeting_id)
    back_to = url_for("arena_organiser.schedule_grid", arena_id=arena.id, meeting=meeting_id)
    try:
        _change(db, arena, meeting, action)
    except (Conflict, ValidationFailed) as refusal:
        raise RefusedChange(refusal, back_to) from refusal  # nothing of a refused change is kept
    return redirect(back_to)


def _change(db, arena, meeting, action: str) -> None:
    if action == "move":
        schedule.move_meeting(db, current_user, arena, meeting, request.form.get("slot_id", type=int),
                              request.form.get("table_id", type=int))
        flash(_("Meeting moved."), "success")
    elif action == "remove":
        schedule.remove_meeting(db, current_user, arena, meeting)
        flash(_("Meeting taken out of the schedule."), "success")
    else:
        schedule.set_locked(db, current_user, arena, meeting, action == "lock")
        flash(_("Meeting locked.") if action == "lock" else _("Meeting unlocked."), "success")


@bp.get("/schedule.csv")
def schedule_csv(arena_id: int):
    db, arena = get_session(), _organised_arena(arena_id)
    body = agenda.grid_csv(arena, agenda.grid(db, current_user, arena))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="arena-{arena.id}-schedule.csv"'})


@bp.get("/print/<any(tables, participants):layout>")
def printable(arena_id: int, layout: str):
    db, arena = get_session(), _organised_arena(arena_id)
    if layout == "tables":
        return render_template("arenas/print_tables.html", arena=arena, grid=agenda.grid(db, current_user, arena),
                               slot_label=lambda s: _slot_label(arena, s))
    return render_template("arenas/print_participants.html", arena=arena,
                           sheets=agenda.participant_sheets(db, current_user, arena),
                           slot_label=lambda s: _slot_label(arena, s))


@bp.get("/dashboard")
def dashboard(arena_id: int):
    db, arena = get_session(), _organised_arena(arena_id)
    return render_template("arenas/dashboard.html", arena=arena, stats=stats.arena_stats(db, current_user, arena),
                           day=event_day.day_figures(db, current_user, arena))
