"""Sign in, sign out, register, and the language switch."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from matchmaker.database import get_session
from matchmaker.services import accounts, organisations
from matchmaker.services.errors import Conflict, NotAuthenticated, ValidationFailed
from matchmaker.vocabulary import INTERFACE_LOCALES
from matchmaker.web import rate_limits
from matchmaker.web.forms import LoginForm, RegisterForm, choices
from matchmaker.web.helpers import safe_next_url, show_errors

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        rate_limits.wait_before_sign_in()
        try:
            user = accounts.authenticate(get_session(), form.email.data, form.password.data)
        except NotAuthenticated as error:
            rate_limits.sign_in_failed()
            form.password.errors = [error.message]
        else:
            rate_limits.sign_in_succeeded()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next_url(url_for("main.dashboard")))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    db = get_session()
    form = RegisterForm()
    form.parent_id.choices = choices([("", _("— none —"))] + [
        (str(o.id), o.name) for kind in ("clinical_department", "health_trust")
        for o in organisations.parent_choices(db, kind)
    ])
    form_errors: list[str] = []
    if form.validate_on_submit():
        try:
            user = accounts.register(db, _user_data(form), _organisation_data(form))
        except (ValidationFailed, Conflict) as error:
            form_errors = show_errors(form, error, {"name": "organisation_name", "kind": "organisation_kind"})
        else:
            login_user(user)
            flash(_("Welcome! Your organisation awaits approval by an administrator. "
                    "Until then you can prepare drafts."), "success")
            return redirect(url_for("main.dashboard"))
    status = 422 if form.errors or form_errors else 200
    return render_template("auth/register.html", form=form, form_errors=form_errors), status


def _user_data(form: RegisterForm) -> dict:
    return {"email": form.email.data, "name": form.name.data, "password": form.password.data}


def _organisation_data(form: RegisterForm) -> dict:
    return {"name": form.organisation_name.data, "kind": form.organisation_kind.data,
            "country": form.country.data, "parent_id": form.parent_id.data}


@bp.post("/language")
def set_language():
    locale = request.form.get("locale", "")
    if locale in INTERFACE_LOCALES:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
    return redirect(safe_next_url(url_for("main.index")))
