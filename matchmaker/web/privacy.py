"""The account's privacy pages: download your data, delete your account."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired

from matchmaker.database import get_session
from matchmaker.models.types import utcnow
from matchmaker.services import privacy
from matchmaker.services.errors import Conflict, ValidationFailed
from matchmaker.web.helpers import show_errors

bp = Blueprint("privacy", __name__, url_prefix="/account")


class DeleteAccountForm(FlaskForm):
    current_password = PasswordField(_l("Your current password"), validators=[DataRequired()])


def export_response(data: dict) -> Response:
    """The data as a file to save, named with today's date."""
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    response = Response(body, mimetype="application/json")
    filename = privacy.export_filename(utcnow().date())
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Personal data: no shared cache may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/data")
def download():
    return export_response(privacy.export_user_data(get_session(), current_user))


@bp.get("/delete")
def confirm_delete():
    return render_template("account/delete.html", form=DeleteAccountForm())


@bp.post("/delete")
def delete():
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return render_template("account/delete.html", form=form), 422
    try:
        privacy.delete_account(get_session(), current_user, form.current_password.data)
    except ValidationFailed as error:
        show_errors(form, error)
        return render_template("account/delete.html", form=form), 422
    except Conflict as error:
        return render_template("account/delete.html", form=form, refusal=error.message), 409
    logout_user()
    flash(_("Your account is deleted. Your organisation keeps what you published for it."), "info")
    return redirect(url_for("main.index"))
