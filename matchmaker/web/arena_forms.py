"""Forms of the arena pages. Field names match the arena services' input names."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from matchmaker import vocabulary as v
from matchmaker.services.arenas import setup_schema as s
from matchmaker.services.arenas.requests import NOTE_LIMIT
from matchmaker.web.forms import MultiCheckboxField, choices

DEADLINE_HELP = _l("In the arena's local time.")


class ArenaForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=s.TITLE_LIMIT)])
    venue = StringField(_l("Venue"), validators=[Length(max=s.VENUE_LIMIT)])
    description = TextAreaField(_l("Description"), validators=[Length(max=s.DESCRIPTION_LIMIT)])
    timezone = StringField(_l("Time zone"), default="Europe/Oslo", validators=[DataRequired(), Length(max=64)])
    meeting_minutes = IntegerField(_l("Meeting length (minutes)"), default=20,
                                   validators=[DataRequired(), NumberRange(*s.MINUTES_RANGE)])
    sessions = TextAreaField(
        _l("Sessions"), validators=[DataRequired()],
        description=_l("One per line, date and times: 2026-03-12 09:00-12:00. Gaps between sessions are breaks."))
    tables = TextAreaField(_l("Tables or rooms"), validators=[DataRequired()],
                           description=_l("A number of tables, or one name per line."))
    three_seat_tables = IntegerField(_l("Tables that seat three"), default=0, validators=[Optional(), NumberRange(0)],
                                     description=_l("The first tables in the list seat a third person."))
    registration_deadline = DateTimeLocalField(_l("Registration deadline"), validators=[Optional()],
                                               description=DEADLINE_HELP)
    request_deadline = DateTimeLocalField(
        _l("Deadline for meeting requests"), validators=[Optional()],
        description=_l("Unanswered requests expire then. In the arena's local time."))
    max_meetings = IntegerField(_l("Most meetings per participant"),
                                validators=[Optional(), NumberRange(*s.MEETINGS_RANGE)])
    allowed_pairs = MultiCheckboxField(_l("Who may meet whom"), choices=choices(v.GROUP_PAIRS),
                                       default=["health-supplier", "funder-supplier", "funder-health"])
    status = SelectField(_l("Status"), choices=choices(v.ARENA_STATUSES), default="draft")


class RegistrationForm(FlaskForm):
    profile_id = SelectField(_l("Profile to be matched on"), validate_choice=False,
                             description=_l("Recommendations come from this profile."))
    max_meetings = IntegerField(_l("Most meetings I want"), validators=[Optional(), NumberRange(*s.MEETINGS_RANGE)])


class AvailabilityForm(FlaskForm):
    slots = MultiCheckboxField(_l("Slots I can attend"), coerce=int, validate_choice=False)


class MeetingRequestForm(FlaskForm):
    recipient_id = IntegerField(validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Length(max=NOTE_LIMIT)],
                         description=_l("What you would like to talk about. Only the people in the meeting see it."))
    third_id = SelectField(_l("Third person (optional)"), validate_choice=False)


class MoveForm(FlaskForm):
    slot_id = SelectField(_l("Slot"), coerce=int, validate_choice=False)
    table_id = SelectField(_l("Table"), coerce=int, validate_choice=False)


def pair_label(pair) -> str:
    return str(v.GROUP_PAIRS.get("-".join(sorted(pair)), "-".join(pair)))


def template_globals() -> dict:
    """Names the arena templates use for times and group pairs."""
    from matchmaker.models.types import utcnow
    from matchmaker.services.arenas.setup import local_time

    return {"local_time": local_time, "now": utcnow, "pair_label": pair_label}
