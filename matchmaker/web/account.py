"""The account page: language, time zone, password and personal API tokens."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from matchmaker.database import get_session
from matchmaker.i18n import DEFAULT_TIMEZONE
from matchmaker.services import accounts
from matchmaker.services.errors import ValidationFailed
from matchmaker.web.forms import PasswordForm, PreferencesForm, TokenForm, choices
from matchmaker.web.helpers import show_errors

bp = Blueprint("account", __name__, url_prefix="/account")

# Nordic zones first: they are what nearly every user picks.
COMMON_TIMEZONES = ["Europe/Oslo", "Europe/Stockholm", "Europe/Copenhagen", "Europe/Helsinki", "UTC"]


def _forms():
    preferences = PreferencesForm(prefix="prefs", locale=current_user.locale,
                                  timezone=current_user.timezone or DEFAULT_TIMEZONE)
    others = sorted(available_timezones() - set(COMMON_TIMEZONES))
    preferences.timezone.choices = choices((z, z) for z in COMMON_TIMEZONES + others)
    return preferences, PasswordForm(prefix="pw"), TokenForm(prefix="token")


def _page(status: int = 200, new_token: str | None = None, **forms):
    preferences, password, token = _forms()
    forms = {"preferences": preferences, "password": password, "token": token, **forms}
    return render_template("account/index.html", new_token=new_token, **forms), status


@bp.get("")
def index():
    return _page()


@bp.post("/preferences")
def preferences():
    form = _forms()[0]
    if form.validate_on_submit():
        try:
            accounts.set_preferences(get_session(), current_user, form.locale.data, form.timezone.data)
        except ValidationFailed as error:
            show_errors(form, error)
            return _page(422, preferences=form)
        flash(_("Your preferences are saved."), "success")
        return redirect(url_for("account.index"))
    return _page(422, preferences=form)


@bp.post("/password")
def password():
    form = PasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            accounts.change_password(get_session(), current_user, form.current_password.data,
                                     form.new_password.data)
        except ValidationFailed as error:
            show_errors(form, error, {"password": "new_password"})
            return _page(422, password=form)
        # The new password signs out every other session; this one is renewed to stay signed in.
        login_user(current_user._get_current_object(), remember=session.get("_remember") == "set")
        flash(_("Your password is changed."), "success")
        return redirect(url_for("account.index"))
    return _page(422, password=form)


@bp.post("/tokens")
def create_token():
    form = TokenForm(prefix="token")
    if not form.validate_on_submit():
        return _page(422, token=form)
    _token, plain = accounts.create_api_token(get_session(), current_user, form.token_name.data)
    # Shown once, in this response only: it is stored hashed and cannot be shown again.
    return _page(201, new_token=plain)


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    accounts.revoke_api_token(get_session(), current_user, token_id)
    flash(_("The token is revoked; it no longer works."), "info")
    return redirect(url_for("account.index"))
