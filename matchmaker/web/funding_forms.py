"""Forms of the funding pages. Field names match the funding service's input names."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from matchmaker import vocabulary as v
from matchmaker.services.funding.schemas import LINK_LIMIT, TRUSTS_RANGE
from matchmaker.services.schemas import DESCRIPTION_LIMIT, LONG_TEXT_LIMIT, TITLE_LIMIT
from matchmaker.web.forms import TRL_INPUT, MultiCheckboxField, choices, optional_choice, trl_checks

CURRENCIES = ("NOK", "SEK", "DKK", "EUR", "ISK")
AMOUNT_INPUT = {"min": 0, "inputmode": "numeric"}


class InstrumentForm(FlaskForm):
    title = StringField(_l("Name of the instrument"), validators=[DataRequired(), Length(min=3, max=TITLE_LIMIT)])
    description = TextAreaField(
        _l("What it is for"), validators=[DataRequired(), Length(min=20, max=DESCRIPTION_LIMIT)], render_kw={"rows": 6})
    language = SelectField(_l("Language of this text"), choices=choices(v.PROFILE_LANGUAGES))
    applicants = MultiCheckboxField(_l("Who may apply"), choices=choices(v.FUNDING_APPLICANTS),
                                    validators=[DataRequired(_l("Choose at least one."))])
    purposes = MultiCheckboxField(_l("What it funds"), choices=choices(v.FUNDING_PURPOSES),
                                  validators=[DataRequired(_l("Choose at least one."))])
    amount_min = IntegerField(_l("Lowest amount"), validators=[Optional(), NumberRange(min=0)], render_kw=AMOUNT_INPUT)
    amount_max = IntegerField(_l("Highest amount"), validators=[Optional(), NumberRange(min=0)], render_kw=AMOUNT_INPUT)
    currency = SelectField(_l("Currency"), choices=choices([(c, c) for c in CURRENCIES]))
    deadline = DateField(_l("Deadline"), validators=[Optional()])
    rolling = BooleanField(_l("Rolling call: applications are read as they come, no deadline"))
    min_trusts = IntegerField(_l("Binding participation of at least this many trusts"),
                              validators=[Optional(), NumberRange(*TRUSTS_RANGE)],
                              render_kw={"min": TRUSTS_RANGE[0], "max": TRUSTS_RANGE[1]},
                              description=_l("Leave empty when one trust is enough."))
    requires_supplier = BooleanField(_l("A supplier must take part"))
    trl_min = IntegerField(_l("Maturity: lowest TRL"), validators=trl_checks(), render_kw=TRL_INPUT)
    trl_max = IntegerField(_l("Maturity: highest TRL"), validators=trl_checks(), render_kw=TRL_INPUT)
    clinical_areas = MultiCheckboxField(_l("Only for these clinical areas"), choices=choices(v.CLINICAL_AREAS),
                                        description=_l("Leave all unticked when any clinical area qualifies."))
    countries = MultiCheckboxField(_l("Only in these countries"), choices=choices(v.COUNTRIES),
                                   description=_l("Leave all unticked when applicants from any country qualify."))
    requirements = TextAreaField(_l("Other requirements"), validators=[Optional(), Length(max=LONG_TEXT_LIMIT)],
                                 render_kw={"rows": 4})
    url = URLField(_l("Link to the call"), validators=[Optional(), Length(max=LINK_LIMIT)])


class InstrumentFilterForm(FlaskForm):
    """The list's filters; a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    purpose = SelectField(_l("What it funds"), choices=optional_choice(v.FUNDING_PURPOSES, _l("Anything")),
                          validate_choice=False)
    open = BooleanField(_l("Only calls still open"))
