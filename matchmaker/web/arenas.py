"""Arena pages for everyone: the list, an arena's page, setting one up, registering, availability,
recommended meetings, requests and the personal agenda."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.database import get_session
from matchmaker.matching.runtime import get_engine
from matchmaker.services import matching
from matchmaker.services.arenas import access, agenda, event_day, registration, requests, setup
from matchmaker.services.arenas.recommend import recommendations
from matchmaker.services.errors import Conflict, DomainError, ValidationFailed
from matchmaker.services.profiles import organisation_profiles
from matchmaker.web.arena_forms import ArenaForm, AvailabilityForm, MeetingRequestForm, RegistrationForm
from matchmaker.web.forms import choices
from matchmaker.web.helpers import form_status, optional_id, submit_form

bp = Blueprint("arenas", __name__, url_prefix="/arenas")


@bp.context_processor
def arena_context() -> dict:
    """The arena menu needs to know who is looking: a participant, an organiser, or both."""
    arena_id = (request.view_args or {}).get("arena_id")
    if arena_id is None or not current_user.is_authenticated:
        return {}
    db = get_session()
    try:
        arena = access.get_arena(db, current_user, arena_id)
    except DomainError:
        return {}  # an error page about this very arena is being shown
    return {"me": access.registration_of(db, current_user, arena),
            "is_organiser": access.is_organiser(current_user, arena)}


def _arena(arena_id: int):
    return access.get_arena(get_session(), current_user, arena_id)


@bp.get("")
def index():
    return render_template("arenas/index.html", arenas=access.list_arenas(get_session(), current_user),
                           can_create=access.can_create_arena(current_user))


@bp.get("/<int:arena_id>")
def detail(arena_id: int):
    db, arena = get_session(), _arena(arena_id)
    requests.expire_overdue(db, arena)
    me = access.registration_of(db, current_user, arena)
    form = _registration_form(me)
    return render_template("arenas/detail.html", arena=arena, me=me, form=form,
                           is_organiser=access.is_organiser(current_user, arena),
                           can_take_part=access.can_take_part(current_user))


def _registration_form(me) -> RegistrationForm:
    form = RegistrationForm(obj=me)
    profiles = organisation_profiles(get_session(), current_user.organisation_id) if current_user.organisation_id \
        else []
    form.profile_id.choices = choices([("", _("— no profile —"))] + [
        (str(p.id), p.title) for p in profiles if p.status == "published"])
    if me is not None and request.method == "GET":
        form.profile_id.data = str(me.profile_id or "")
    return form


@bp.route("/new", methods=["GET", "POST"])
def create():
    access.ensure_can_create_arena(current_user)
    return _save_arena(ArenaForm(), None)


@bp.route("/<int:arena_id>/edit", methods=["GET", "POST"])
def edit(arena_id: int):
    arena = _arena(arena_id)
    access.ensure_organiser(current_user, arena)
    form = ArenaForm() if request.method == "POST" else ArenaForm(data=setup.arena_values(arena))
    return _save_arena(form, arena)


def _save_arena(form: ArenaForm, arena):
    db = get_session()
    saved, form_errors = submit_form(form, lambda data: setup.create_arena(db, current_user, data) if arena is None
                                     else setup.update_arena(db, current_user, arena, data),
                                     shown=(ValidationFailed, Conflict))
    if saved is not None:
        flash(_("Arena saved."), "success")
        return redirect(url_for("arenas.detail", arena_id=saved.id))
    return render_template("arenas/form.html", form=form, arena=arena, form_errors=form_errors), \
        form_status(form, form_errors)


@bp.post("/<int:arena_id>/register")
def register(arena_id: int):
    db, arena = get_session(), _arena(arena_id)
    form = _registration_form(None)
    profile_id = optional_id(form.profile_id.data)
    registration.register(db, current_user, arena, profile_id)
    flash(_("You are registered. The organisers will confirm your place."), "success")
    return redirect(url_for("arenas.detail", arena_id=arena.id))


@bp.post("/<int:arena_id>/registration")
def update_registration(arena_id: int):
    db, arena = get_session(), _arena(arena_id)
    me = access.registration_of(db, current_user, arena)
    form = _registration_form(me)
    if me is None or not form.validate_on_submit():
        flash(_("Please check the registration form."), "error")
        return redirect(url_for("arenas.detail", arena_id=arena.id))
    profile_id = optional_id(form.profile_id.data)
    registration.update_registration(db, current_user, me, profile_id, form.max_meetings.data)
    flash(_("Registration updated."), "success")
    return redirect(url_for("arenas.detail", arena_id=arena.id))


@bp.route("/<int:arena_id>/availability", methods=["GET", "POST"])
def availability(arena_id: int):
    db, arena = get_session(), _arena(arena_id)
    me = access.ensure_approved_participant(db, current_user, arena)
    form = AvailabilityForm()
    form.slots.choices = [(slot.id, slot.id) for slot in arena.slots]
    if form.validate_on_submit():
        registration.set_availability(db, current_user, me, form.slots.data or [])
        flash(_("Availability saved."), "success")
        return redirect(url_for("arenas.availability", arena_id=arena.id))
    available = set(registration.available_slot_ids(me))
    return render_template("arenas/availability.html", arena=arena, me=me, form=form, available=available)


@bp.get("/<int:arena_id>/people")
def people(arena_id: int):
    db, arena = get_session(), _arena(arena_id)
    me = access.ensure_approved_participant(db, current_user, arena)
    others = [p for p in registration.approved_participants(db, arena) if p.id != me.id]
    return render_template("arenas/people.html", arena=arena, me=me, others=others,
                           open_with=requests.open_partner_ids(db, me),
                           recommended=recommendations(db, get_engine(), current_user, arena, me))


@bp.get("/<int:arena_id>/request/<int:participant_id>")
def new_request(arena_id: int, participant_id: int):
    """The request form for one person, with why the matching engine pairs you."""
    db, arena = get_session(), _arena(arena_id)
    me = access.ensure_approved_participant(db, current_user, arena)
    other = requests.other_participant(db, arena, participant_id)
    match = None
    if me.profile is not None and other.profile is not None and other.profile.is_public:
        match = matching.pair_match(db, get_engine(), me.profile, other.profile)
    form = MeetingRequestForm(recipient_id=other.id)
    others = [p for p in registration.approved_participants(db, arena) if p.id not in (me.id, other.id)]
    form.third_id.choices = choices([("", _("— nobody —"))] + [(str(p.id), p.display_name) for p in others])
    return render_template("arenas/request.html", arena=arena, me=me, other=other, match=match, form=form)


@bp.post("/<int:arena_id>/requests")
def send_request(arena_id: int):
    db, arena = get_session(), _arena(arena_id)
    form = MeetingRequestForm()
    if not form.validate_on_submit():
        raise ValidationFailed(_("Please correct the marked fields."),
                               {name: " ".join(errors) for name, errors in form.errors.items()})
    third = optional_id(form.third_id.data)
    meeting = requests.request_meeting(db, get_engine(), current_user, arena, form.recipient_id.data,
                                       form.note.data or "", third)
    if meeting.status == "accepted":
        flash(_("They had already asked you: the meeting is accepted."), "success")
    else:
        flash(_("Request sent to %(name)s.", name=meeting.recipient.display_name), "success")
    return redirect(url_for("arenas.my_requests", arena_id=arena.id))


@bp.get("/<int:arena_id>/requests")
def my_requests(arena_id: int):
    db, arena = get_session(), _arena(arena_id)
    me = access.ensure_approved_participant(db, current_user, arena)
    requests.expire_overdue(db, arena)
    meetings = requests.meetings_of(db, me)
    return render_template("arenas/requests.html", arena=arena, me=me,
                           incoming=[m for m in meetings if requests.awaits_answer_from(m, me)],
                           others=[m for m in meetings if not requests.awaits_answer_from(m, me)])


@bp.post("/<int:arena_id>/meetings/<int:meeting_id>/respond")
def respond(arena_id: int, meeting_id: int):
    db, arena = get_session(), _arena(arena_id)
    meeting = access.get_meeting(db, arena, meeting_id)
    accept = request.form.get("action") == "accept"
    requests.respond(db, current_user, meeting, accept, request.form.get("note", ""))
    flash(_("Meeting accepted.") if accept else _("Request declined."), "success")
    return redirect(url_for("arenas.my_requests", arena_id=arena.id))


@bp.post("/<int:arena_id>/meetings/<int:meeting_id>/cancel")
def cancel(arena_id: int, meeting_id: int):
    db, arena = get_session(), _arena(arena_id)
    requests.cancel(db, current_user, access.get_meeting(db, arena, meeting_id))
    flash(_("Meeting cancelled."), "success")
    return redirect(url_for("arenas.my_requests", arena_id=arena.id))


@bp.get("/<int:arena_id>/agenda")
def my_agenda(arena_id: int):
    db, arena = get_session(), _arena(arena_id)
    me = access.ensure_approved_participant(db, current_user, arena)
    meetings = agenda.agenda(db, me)
    return render_template("arenas/agenda.html", arena=arena, me=me, meetings=meetings,
                           waiting=agenda.waiting_for_schedule(db, me), ratings=event_day.ratings_by_meeting(db, me))


@bp.get("/<int:arena_id>/agenda.ics")
def agenda_ics(arena_id: int):
    db, arena = get_session(), _arena(arena_id)
    me = access.ensure_approved_participant(db, current_user, arena)
    body = agenda.agenda_calendar(arena, me, agenda.agenda(db, me), request.host_url)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="arena-{arena.id}-agenda.ics"'})


@bp.post("/<int:arena_id>/meetings/<int:meeting_id>/attendance")
def attendance(arena_id: int, meeting_id: int):
    db, arena = get_session(), _arena(arena_id)
    meeting = access.get_meeting(db, arena, meeting_id)
    agenda.record_attendance(db, current_user, arena, meeting, request.form.get("attendance", ""),
                             request.form.get("outcome") or None, request.form.get("outcome_note", ""))
    flash(_("Thank you: the meeting is marked."), "success")
    return redirect(request.form.get("back") == "schedule" and url_for("arena_organiser.schedule_grid",
                    arena_id=arena.id) or url_for("arenas.my_agenda", arena_id=arena.id))
