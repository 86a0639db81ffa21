"""Forgotten passwords: ask for a link by e-mail, then choose a new password with it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import login_user

from matchmaker.database import get_session
from matchmaker.services import password_reset
from matchmaker.services.errors import NotFound, ValidationFailed
from matchmaker.web.forms import ForgotPasswordForm, ResetPasswordForm
from matchmaker.web.helpers import show_errors
from matchmaker.web.sign_in import public

bp = Blueprint("password_reset", __name__)
SESSION_KEY = "password_reset_token"


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
def forgot():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        password_reset.request_reset(get_session(), form.email.data)
        # The same answer whether or not the address has an account.
        flash(_("If an account exists for this address, we have sent it a link to choose a new password."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form), 422 if form.errors else 200


@bp.get("/reset-password/<token>")
@public
def open_link(token: str):
    """Moves the token from the address into the session, so that the form's page, its
    history entry and any Referer it sends carry no token."""
    try:
        password_reset.user_for_token(get_session(), token)
    except NotFound as error:
        return _invalid_link_page(error)
    session[SESSION_KEY] = token
    return redirect(url_for(".choose"))


@bp.route("/reset-password", methods=["GET", "POST"])
@public
def choose():
    db, token = get_session(), session.get(SESSION_KEY, "")
    try:
        user = password_reset.user_for_token(db, token)
    except NotFound as error:
        return _invalid_link_page(error)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            password_reset.reset_password(db, token, form.password.data)
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            session.pop(SESSION_KEY, None)
            login_user(user)
            flash(_("Your password is changed."), "success")
            return redirect(url_for("main.dashboard"))
    return render_template("auth/reset_password.html", form=form, user=user), 422 if form.errors else 200


def _invalid_link_page(error: NotFound):
    session.pop(SESSION_KEY, None)
    return render_template("auth/reset_link_invalid.html", message=error.message), error.status
