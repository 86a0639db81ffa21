"""Sign in, sign out, register, and the language switch."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from matchmaker.database import get_session
from matchmaker.models.accounts import CARE_PROVIDER_KINDS
from matchmaker.services import accounts, invitations, join_requests, organisations
from matchmaker.services.errors import Conflict, NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from matchmaker.vocabulary import INTERFACE_LOCALES
from matchmaker.web import members as members_web
from matchmaker.web import rate_limits
from matchmaker.web.forms import LoginForm, RegisterForm, choices
from matchmaker.web.helpers import safe_next_url, show_errors
from matchmaker.web.sign_in import public

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
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
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    db = get_session()
    form = RegisterForm()
    form.parent_id.choices = choices([("", _("— none —"))] + [
        (str(o.id), o.name) for kind in CARE_PROVIDER_KINDS
        for o in organisations.parent_choices(db, kind)
    ])
    invitation = _open_invitation(db)
    search = request.values.get("q", "")
    found = organisations.search_approved(db, search)
    form.join_organisation_id.choices = choices([(o.id, o.name) for o in found])
    if invitation is not None or form.membership.data == "join":
        form.relax_organisation_fields()
    form_errors: list[str] = []
    if form.validate_on_submit():
        try:
            user = _register(db, form, invitation)
        except (ValidationFailed, Conflict, PermissionDenied, NotFound) as error:
            form_errors = _registration_errors(form, error)
        else:
            login_user(user)
            flash(_welcome(user, invitation), "success")
            return redirect(url_for("main.dashboard"))
    status = 422 if form.errors or form_errors else 200
    return render_template("auth/register.html", form=form, form_errors=form_errors, invitation=invitation,
                           search=search, found=found), status


def _open_invitation(db):
    """The invitation whose link this browser opened, while it still works."""
    token = members_web.pending_invitation_token()
    if not token:
        return None
    try:
        return invitations.invitation_for_token(db, token)
    except NotFound:
        members_web.forget_invitation()
        return None


def _register(db, form: RegisterForm, invitation):
    if invitation is not None:
        user = invitations.register_and_accept(db, _user_data(form), members_web.pending_invitation_token())
        members_web.forget_invitation()
        return user
    if form.membership.data == "join":
        if not form.join_organisation_id.data:
            message = _("Find your organisation and choose it, or register a new one.")
            raise ValidationFailed(message, {"join_organisation_id": message})
        organisation = organisations.get_organisation(db, None, form.join_organisation_id.data)
        return join_requests.register_and_ask(db, _user_data(form), organisation, form.join_message.data)
    return accounts.register(db, _user_data(form), _organisation_data(form))


def _registration_errors(form: RegisterForm, error) -> list[str]:
    if isinstance(error, PermissionDenied):  # an invitation sent to another address
        form.email.errors = [*form.email.errors, error.message]
        return []
    if isinstance(error, NotFound):  # the organisation chosen is no longer there
        form.join_organisation_id.errors = [error.message]
        return []
    return show_errors(form, error, {"name": "organisation_name", "kind": "organisation_kind"})


def _welcome(user, invitation) -> str:
    if invitation is not None:
        return _("Welcome to %(name)s!", name=invitation.organisation.name)
    if user.organisation is None:
        return _("Welcome! Your request to join is sent; you hear when its administrators answer.")
    return _("Welcome! Your organisation awaits approval by an administrator. Until then you can prepare drafts.")


def _user_data(form: RegisterForm) -> dict:
    return {"email": form.email.data, "name": form.name.data, "password": form.password.data}


def _organisation_data(form: RegisterForm) -> dict:
    return {"name": form.organisation_name.data, "kind": form.organisation_kind.data,
            "country": form.country.data, "parent_id": form.parent_id.data}


@bp.post("/language")
@public
def set_language():
    locale = request.form.get("locale", "")
    if locale in INTERFACE_LOCALES:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
    return redirect(safe_next_url(url_for("main.index")))
