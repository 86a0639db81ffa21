"""Forms of the collaboration pages: the terms, comments, and the action buttons with their reasons."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from matchmaker import vocabulary as v
from matchmaker.services.collaborations import operations as collab
from matchmaker.services.collaborations.terms import SHORT_LIMITS, TEXT_LIMIT
from matchmaker.web.forms import optional_choice


class TermsForm(FlaskForm):
    need_id = SelectField(_l("Need"), validate_choice=False)
    capability_id = SelectField(_l("Capability profile"), validate_choice=False)
    scope = TextAreaField(_l("Scope"), validators=[DataRequired(), Length(max=TEXT_LIMIT)],
                          description=_l("What is tested, with whom, and how success is measured."))
    # No test type is chosen for the proposer: "Choose…" until they pick one.
    test_type = SelectField(_l("Test type"), choices=optional_choice(v.TEST_TYPES, _l("Choose…")),
                            validators=[DataRequired(_l("Choose a test type."))])
    site = StringField(_l("Site"), validators=[Length(max=SHORT_LIMITS["site"])])
    period_start = DateField(_l("Period from"), validators=[Optional()])
    period_end = DateField(_l("Period to"), validators=[Optional()])
    supplier_contribution = TextAreaField(_l("The supplier contributes"), validators=[Length(max=TEXT_LIMIT)])
    department_contribution = TextAreaField(_l("The department contributes"), validators=[Length(max=TEXT_LIMIT)])
    data_access = TextAreaField(_l("Data access and data protection"), validators=[Length(max=TEXT_LIMIT)])
    dpia_needed = BooleanField(_l("A data protection impact assessment (DPIA) is needed"))
    ip_terms = TextAreaField(_l("Intellectual property"), validators=[Length(max=TEXT_LIMIT)])
    cost_terms = TextAreaField(_l("Costs"), validators=[Length(max=TEXT_LIMIT)])
    funding_sought = TextAreaField(_l("Funding sought"), validators=[Length(max=TEXT_LIMIT)])


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=collab.COMMENT_LIMIT)])


@dataclass(frozen=True)
class Action:
    """One button of the collaboration page, with its own reason field where a reason applies."""

    key: str  # the stage it moves to, or "changes"
    button: str
    reason_label: str | None = None
    reason_required: bool = False
    declines: bool = False  # drawn as a secondary button: it ends or holds up the collaboration


def actions_for(user, collaboration) -> list[Action]:
    """The answers and stage moves open to the user now, in the order they are offered."""
    moves = collab.allowed_moves(user, collaboration)
    if "declined" in moves:  # to the side answering a proposal, stopping it is declining it
        moves = [to for to in moves if to != "stopped"]
    actions = [_move_action(user, collaboration, to) for to in moves]
    if "accepted" in moves:  # the answering side may ask for other terms instead of declining
        actions.insert(1, Action("changes", _("Ask for changes"), _("What should change?"), True, True))
    return actions


def _move_action(user, collaboration, to: str) -> Action:
    if to == "accepted":
        return Action(to, _("Accept the proposal"), _("A note with your acceptance (optional)"))
    if to == "declined":
        return Action(to, _("Decline"), _("Why do you decline?"), True, True)
    if to == "stopped" and collaboration.stage == "proposed" \
            and user.organisation_id == collaboration.proposed_by_id:
        return Action(to, _("Withdraw the proposal"), _("Why do you withdraw it?"), True, True)
    if to == "stopped":
        return Action(to, _("Stop the collaboration"), _("Why do you stop it?"), True, True)
    return Action(to, {"testing": _("Start testing"), "verified": _("Mark as verified")}[to])
