"""Forms of the collaboration pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from matchmaker import vocabulary as v
from matchmaker.web.forms import choices

LONG = 5000


class TermsForm(FlaskForm):
    need_id = SelectField(_l("Need"), validate_choice=False)
    capability_id = SelectField(_l("Capability profile"), validate_choice=False)
    scope = TextAreaField(_l("Scope"), validators=[DataRequired(), Length(max=LONG)],
                          description=_l("What is tested, with whom, and how success is measured."))
    test_type = SelectField(_l("Test type"), choices=choices(v.TEST_TYPES))
    site = StringField(_l("Site"), validators=[Length(max=300)])
    period_start = DateField(_l("Period from"), validators=[Optional()])
    period_end = DateField(_l("Period to"), validators=[Optional()])
    supplier_contribution = TextAreaField(_l("The supplier contributes"), validators=[Length(max=LONG)])
    department_contribution = TextAreaField(_l("The department contributes"), validators=[Length(max=LONG)])
    data_access = TextAreaField(_l("Data access and data protection"), validators=[Length(max=LONG)])
    dpia_needed = BooleanField(_l("A data protection impact assessment (DPIA) is needed"))
    ip_terms = TextAreaField(_l("Intellectual property"), validators=[Length(max=LONG)])
    cost_terms = TextAreaField(_l("Costs"), validators=[Length(max=LONG)])
    funding_sought = TextAreaField(_l("Funding sought"), validators=[Length(max=LONG)])


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=2000)])
