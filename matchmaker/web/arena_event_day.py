"""The arena's day: "now and next" on a participant's phone, their check-in QR code, the
organiser's check-in page, and rating meetings afterwards."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.database import get_session, writes
from matchmaker.services import context
from matchmaker.services.arenas import access, check_in, event_day
from matchmaker.services.arenas.registration import approved_participants
from matchmaker.web.arenas import arena_context

bp = Blueprint("arena_event_day", __name__, url_prefix="/arenas/<int:arena_id>")
bp.context_processor(arena_context)
# The organiser's routes, for the access tests that walk every organiser route.
ORGANISER_ENDPOINTS = {"arena_event_day.check_in_desk", "arena_event_day.check_in_by_code",
                       "arena_event_day.mark_arrival"}


def _participant(arena_id: int):
    db = get_session()
    arena = access.get_arena(db, current_user, arena_id)
    return db, arena, access.ensure_approved_participant(db, current_user, arena)


def _organised_arena(arena_id: int):
    db = get_session()
    arena = access.get_arena(db, current_user, arena_id)
    access.ensure_organiser(current_user, arena)
    return db, arena


@bp.get("/now")
def now_and_next(arena_id: int):
    db, arena, me = _participant(arena_id)
    return render_template("arenas/now.html", arena=arena, me=me, day=event_day.now_and_next(db, me),
                           refresh=event_day.REFRESH_SECONDS)


@bp.get("/check-in.svg")
def check_in_qr(arena_id: int):
    _db, arena, me = _participant(arena_id)
    code = check_in.check_in_code(context.of(_db).settings, me)
    url = url_for("arena_event_day.check_in_by_code", arena_id=arena.id, token=code, _external=True)
    svg = check_in.qr_svg(url, _("Check-in code"))
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private"})


@bp.get("/check-in")
def check_in_desk(arena_id: int):
    db, arena = _organised_arena(arena_id)
    text = request.args.get("q", "").strip()
    return _desk(db, arena, text, None)


@bp.get("/check-in/<token>")
@writes
def check_in_by_code(arena_id: int, token: str):
    """Opening a scanned code checks its participant in at once: the organiser at the door
    should not need a second tap. Only a valid signed code of this arena does anything."""
    db = get_session()
    arena = access.get_arena(db, current_user, arena_id)
    participant = check_in.participant_for_code(db, current_user, arena, token)  # organisers only
    check_in.check_in(db, current_user, arena, participant)
    return _desk(db, arena, "", participant)


def _desk(db, arena, text: str, scanned):
    found = check_in.search(db, current_user, arena, text) if text else []
    return render_template("arenas/check_in.html", arena=arena, text=text, found=found, scanned=scanned,
                           arrived=check_in.arrivals(db, arena),
                           approved=len(approved_participants(db, arena)))


@bp.post("/check-in/people/<int:participant_id>/<any(arrive, undo):action>")
def mark_arrival(arena_id: int, participant_id: int, action: str):
    db, arena = _organised_arena(arena_id)
    participant = check_in.arena_participant(db, arena, participant_id)
    if action == "arrive":
        check_in.check_in(db, current_user, arena, participant)
        flash(_("%(name)s has arrived.", name=participant.display_name), "success")
    else:
        check_in.undo_check_in(db, current_user, arena, participant)
        flash(_("%(name)s is no longer checked in.", name=participant.display_name), "success")
    return redirect(url_for("arena_event_day.check_in_desk", arena_id=arena.id, q=request.form.get("q") or None))


@bp.post("/meetings/<int:meeting_id>/rating")
def rate(arena_id: int, meeting_id: int):
    db = get_session()
    arena = access.get_arena(db, current_user, arena_id)
    meeting = access.get_meeting(db, arena, meeting_id)
    score = request.form.get("score", type=int)
    rating = event_day.rate_meeting(db, current_user, meeting, score, request.form.get("follow_up") == "1")
    flash(_("Thank you for rating the meeting.") if not rating.follow_up else
          _("Thank you: your rating and your wish to follow up are saved."), "success")
    return redirect(url_for("arenas.my_agenda", arena_id=arena.id, _anchor=f"meeting-{meeting.id}"))


def _arenas_running_today(arenas) -> set[int]:
    return event_day.arenas_running_today(get_session(), list(arenas))


def template_globals() -> dict:
    return {"runs_today": event_day.runs_today, "arenas_running_today": _arenas_running_today,
            "rating_scores": event_day.SCORES,
            "has_ended": event_day.has_ended, "meeting_why": event_day.why}
