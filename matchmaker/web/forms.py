"""WTForms forms of the web pages. Field names match the service input names."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
    widgets,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from matchmaker import vocabulary as v
from matchmaker.services.join_requests import MESSAGE_LIMIT
from matchmaker.services.organisations import FIRST_YEAR, NAME_LENGTH
from matchmaker.services.organisations import TEXT_LIMITS as ORG_TEXT_LIMITS
from matchmaker.services.schemas import (
    DESCRIPTION_LIMIT,
    LONG_TEXT_LIMIT,
    PHRASE_LIMIT,
    SHORT_TEXT_LIMIT,
    TITLE_LIMIT,
    TRL_RANGE,
)


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def choices(pairs) -> list[SelectChoice]:
    """Select options from a vocabulary dict or from (value, label) pairs."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(value, label) for value, label in items]


NOT_GIVEN = _l("— not given —")
CHOOSE = _l("Choose…")
TRL_INPUT = {"min": TRL_RANGE[0], "max": TRL_RANGE[1], "inputmode": "numeric"}


def trl_checks() -> list:
    return [Optional(), NumberRange(*TRL_RANGE)]


def optional_choice(vocabulary: dict, empty_label=NOT_GIVEN):
    """Choices with an empty first option. Fields using these skip WTForms' choice check (a
    field left out of a POST would fail it); the service validates the code instead."""
    return choices([("", empty_label), *vocabulary.items()])


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=10, max=200)],
        description=_l("At least 10 characters."),
    )


class RegisterForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(min=10, max=200)], description=_l("At least 10 characters.")
    )
    organisation_name = StringField(_l("Organisation"), validators=[DataRequired(), Length(*NAME_LENGTH)])
    # Which kind decides what the organisation may do: the person registering chooses it.
    organisation_kind = SelectField(_l("Kind of organisation"), choices=optional_choice(v.ORGANISATION_KINDS, CHOOSE),
                                    validators=[DataRequired(_l("Choose the kind of organisation."))])
    parent_id = SelectField(
        _l("Belongs to"),
        coerce=lambda x: int(x) if x else None,
        validators=[Optional()],
        validate_choice=False,
        description=_l(
            "For a clinical department: its health trust. For a health trust: its regional health authority."
        ),
    )
    country = SelectField(_l("Country"), choices=choices(v.COUNTRIES))
    # Someone whose organisation is registered already joins it rather than registering it again.
    membership = RadioField(_l("Your organisation"), default="new", choices=choices([
        ("join", _l("Join my organisation: it is registered already")),
        ("new", _l("Register a new organisation"))]))
    join_organisation_id = RadioField(_l("Organisation to join"), coerce=lambda x: int(x) if str(x or "").isdecimal()
                                      else None, validate_choice=False, validators=[Optional()])
    join_message = TextAreaField(_l("A note for its administrators (optional)"),
                                 validators=[Optional(), Length(max=MESSAGE_LIMIT)], render_kw={"rows": 2})

    def relax_organisation_fields(self) -> None:
        """Joining an organisation: the fields of a new one are not asked for."""
        for name in ("organisation_name", "organisation_kind"):
            self._fields[name].validators = [Optional()]
        self.country.validate_choice = False


class ProfileForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(min=3, max=TITLE_LIMIT)])
    description = TextAreaField(
        _l("Description"), validators=[DataRequired(), Length(min=20, max=DESCRIPTION_LIMIT)], render_kw={"rows": 8}
    )
    language = SelectField(_l("Language of this profile"), choices=choices(v.PROFILE_LANGUAGES))
    clinical_areas = MultiCheckboxField(_l("Clinical areas"), choices=choices(v.CLINICAL_AREAS))
    care_settings = MultiCheckboxField(_l("Care settings"), choices=choices(v.CARE_SETTINGS))
    test_types = MultiCheckboxField(_l("Test types"), choices=choices(v.TEST_TYPES))
    regulatory_class = SelectField(
        _l("Regulatory class"), choices=optional_choice(v.REGULATORY_CLASSES), validate_choice=False
    )


class NeedForm(ProfileForm):
    description = TextAreaField(
        _l("The problem and its consequences"),
        validators=[DataRequired(), Length(min=20, max=DESCRIPTION_LIMIT)],
        render_kw={"rows": 8},
    )
    affected_groups = MultiCheckboxField(_l("Who experiences the problem"), choices=choices(v.AFFECTED_GROUPS))
    current_pathway = TextAreaField(
        _l("Current care pathway"), validators=[Optional(), Length(max=LONG_TEXT_LIMIT)], render_kw={"rows": 4}
    )
    patient_volume = StringField(_l("Patient volume"), validators=[Optional(), Length(max=SHORT_TEXT_LIMIT)])
    test_offer = TextAreaField(
        _l("What the department offers for testing"),
        validators=[Optional(), Length(max=LONG_TEXT_LIMIT)],
        render_kw={"rows": 4},
        description=_l("Test environment, patients, staff time."),
    )
    test_period = StringField(_l("Test period"), validators=[Optional(), Length(max=SHORT_TEXT_LIMIT)])
    trl_min = IntegerField(
        _l("Maturity wanted: lowest TRL"), validators=trl_checks(), render_kw=TRL_INPUT
    )
    trl_max = IntegerField(
        _l("Maturity wanted: highest TRL"), validators=trl_checks(), render_kw=TRL_INPUT
    )
    regulatory_class = SelectField(
        _l("Regulatory requirement (CE class)"), choices=optional_choice(v.REGULATORY_CLASSES), validate_choice=False
    )
    evidence_level = StringField(_l("Evidence required"), validators=[Optional(), Length(max=PHRASE_LIMIT)])
    dpia_needed = BooleanField(_l("A data protection impact assessment (DPIA) is needed"))
    patient_data = BooleanField(_l("Patient data is involved"))
    procurement_route = SelectField(
        _l("Procurement route"), choices=optional_choice(v.PROCUREMENT_ROUTES), validate_choice=False
    )
    contact_name = StringField(_l("Contact person / clinical lead"),
                               validators=[Optional(), Length(max=SHORT_TEXT_LIMIT)])
    contact_email = EmailField(_l("Contact e-mail"), validators=[Optional(), Email(), Length(max=254)])


class CapabilityForm(ProfileForm):
    title = StringField(_l("Product or service name"), validators=[DataRequired(), Length(min=3, max=TITLE_LIMIT)])
    description = TextAreaField(
        _l("What it does and for whom"), validators=[DataRequired(), Length(min=20, max=DESCRIPTION_LIMIT)],
        render_kw={"rows": 8},
    )
    trl = IntegerField(_l("Maturity (TRL 1-9)"), validators=trl_checks(), render_kw=TRL_INPUT)
    evidence = TextAreaField(_l("Evidence so far"), validators=[Optional(), Length(max=LONG_TEXT_LIMIT)],
                             render_kw={"rows": 4})
    test_types = MultiCheckboxField(_l("Tests you seek"), choices=choices(v.TEST_TYPES))
    clinic_needs = TextAreaField(
        _l("What you need from the clinic"), validators=[Optional(), Length(max=LONG_TEXT_LIMIT)], render_kw={"rows": 4}
    )
    funding_sought = StringField(_l("Funding sought"), validators=[Optional(), Length(max=PHRASE_LIMIT)])


FORM_BY_KIND = {"need": NeedForm, "capability": CapabilityForm}


class FacetFilterForm(FlaskForm):
    """Filters shared by browsing and matching; GET forms, so no CSRF token."""

    class Meta:
        csrf = False

    clinical_area = MultiCheckboxField(_l("Clinical area"), choices=choices(v.CLINICAL_AREAS))
    care_setting = MultiCheckboxField(_l("Care setting"), choices=choices(v.CARE_SETTINGS))
    trl_min = IntegerField(_l("TRL from"), validators=trl_checks(), render_kw=TRL_INPUT)
    trl_max = IntegerField(_l("TRL to"), validators=trl_checks(), render_kw=TRL_INPUT)
    country = SelectField(_l("Country"), choices=optional_choice(v.COUNTRIES, _l("Any country")), validate_choice=False)
    language = SelectField(
        _l("Language"), choices=optional_choice(v.PROFILE_LANGUAGES, _l("Any language")), validate_choice=False
    )


class FilterForm(FacetFilterForm):
    """The browse filters."""

    q = StringField(_l("Search text"), validators=[Optional(), Length(max=200)])
    organisation = SelectField(_l("Organisation"), validators=[Optional()], validate_choice=False)


class PreferencesForm(FlaskForm):
    locale = SelectField(_l("Interface language"), choices=choices(v.INTERFACE_LOCALES))
    timezone = SelectField(_l("Time zone"), validate_choice=False)


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=10, max=200)])


class TokenForm(FlaskForm):
    token_name = StringField(
        _l("Token name"),
        validators=[Optional(), Length(max=100)],
        description=_l("For example the script or tool that will use it."),
    )


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(*NAME_LENGTH)])
    description = TextAreaField(
        _l("About the organisation"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 5}
    )
    country = SelectField(_l("Country"), choices=choices(v.COUNTRIES))
    website = URLField(_l("Website"), validators=[Optional(), Length(max=ORG_TEXT_LIMITS["website"])])
    org_number = StringField(_l("Organisation number"),
                             validators=[Optional(), Length(max=ORG_TEXT_LIMITS["org_number"])])
    size = SelectField(_l("Size"), choices=optional_choice(v.COMPANY_SIZES), validate_choice=False)
    founded = IntegerField(_l("Founded (year)"), validators=[Optional(), NumberRange(FIRST_YEAR, 2100)])


class MatchFilterForm(FacetFilterForm):
    """Filters on the match pages: applied before ranking, so the best matches within them show."""

    organisation_kind = SelectField(
        _l("Kind of organisation"),
        choices=optional_choice(v.ORGANISATION_KINDS, _l("Any kind")),
        validate_choice=False,
    )


class InviteForm(FlaskForm):
    email = EmailField(_l("Your colleague's e-mail"), validators=[DataRequired(), Email(), Length(max=254)],
                       description=_l("They get a link that works once, for seven days."))


class JoinRequestForm(FlaskForm):
    message = TextAreaField(_l("A note for its administrators (optional)"),
                            validators=[Optional(), Length(max=MESSAGE_LIMIT)], render_kw={"rows": 3})
