"""An organisation's members: the list, roles, invitations, requests to join, and leaving."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.database import get_session
from matchmaker.services import invitations, join_requests, members, organisations, permissions
from matchmaker.services.errors import Conflict, NotFound, ValidationFailed
from matchmaker.web.forms import InviteForm, JoinRequestForm
from matchmaker.web.helpers import show_errors
from matchmaker.web.sign_in import public

bp = Blueprint("members", __name__)
# The token of an opened invitation link waits here while its reader registers or signs in, so
# that the token leaves the address bar (and any Referer) at once.
INVITATION_KEY = "invitation_token"


def _organisation(organisation_id: int):
    return organisations.get_organisation(get_session(), current_user, organisation_id)


def _back(organisation_id: int):
    return redirect(url_for(".index", organisation_id=organisation_id))


@bp.get("/organisations/<int:organisation_id>/members")
def index(organisation_id: int):
    return _members_page(_organisation(organisation_id), InviteForm())


def _members_page(organisation, invite_form: InviteForm, form_errors=(), status: int = 200):
    db = get_session()
    people = members.list_members(db, current_user, organisation)
    is_admin = permissions.is_organisation_admin(current_user, organisation.id)
    return render_template(
        "members/index.html", organisation=organisation, members=people, is_admin=is_admin, form=invite_form,
        form_errors=list(form_errors), join_requests=join_requests.waiting(db, current_user, organisation)
        if is_admin else [], invitations=invitations.open_invitations(db, current_user, organisation)
        if is_admin else []), status


@bp.post("/organisations/<int:organisation_id>/invitations")
def invite(organisation_id: int):
    organisation = _organisation(organisation_id)
    permissions.ensure_can_manage_members(current_user, organisation)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitations.invite(get_session(), current_user, organisation, form.email.data)
        except (ValidationFailed, Conflict) as error:
            return _members_page(organisation, form, show_errors(form, error), 422)
        flash(_("The invitation is on its way to %(email)s.", email=form.email.data), "success")
        return _back(organisation.id)
    return _members_page(organisation, form, status=422)


@bp.post("/organisations/<int:organisation_id>/invitations/<int:invitation_id>/revoke")
def revoke_invitation(organisation_id: int, invitation_id: int):
    invitations.revoke(get_session(), current_user, _organisation(organisation_id), invitation_id)
    flash(_("The invitation is withdrawn; its link no longer works."), "info")
    return _back(organisation_id)


@bp.post("/organisations/<int:organisation_id>/members/<int:user_id>/role")
def set_role(organisation_id: int, user_id: int):
    organisation = _organisation(organisation_id)
    member = members.set_role(get_session(), current_user, organisation, user_id, request.form.get("role", ""))
    flash(_("%(name)s is now an administrator.", name=member.name) if member.organisation_role == "admin"
          else _("%(name)s is now a member.", name=member.name), "success")
    return _back(organisation.id)


@bp.post("/organisations/<int:organisation_id>/members/<int:user_id>/remove")
def remove(organisation_id: int, user_id: int):
    organisation = _organisation(organisation_id)
    member = members.remove_member(get_session(), current_user, organisation, user_id)
    flash(_("%(name)s is no longer a member.", name=member.name), "success")
    if member.id == current_user.id:
        return redirect(url_for("main.dashboard"))
    return _back(organisation.id)


@bp.post("/organisations/<int:organisation_id>/leave")
def leave(organisation_id: int):
    organisation = _organisation(organisation_id)
    members.leave(get_session(), current_user, organisation)
    flash(_("You left %(name)s.", name=organisation.name), "success")
    return redirect(url_for("main.dashboard"))


@bp.route("/organisations/<int:organisation_id>/join", methods=["GET", "POST"])
def ask_to_join(organisation_id: int):
    organisation = _organisation(organisation_id)
    form = JoinRequestForm()
    form_errors: list[str] = []
    if form.validate_on_submit():
        try:
            join_requests.ask(get_session(), current_user, organisation, form.message.data)
        except (ValidationFailed, Conflict) as error:
            form_errors = show_errors(form, error)
        else:
            flash(_("Your request is sent; the administrators of %(name)s will answer.", name=organisation.name),
                  "success")
            return redirect(url_for("organisations.detail", organisation_id=organisation.id))
    status = 422 if form.errors or form_errors else 200
    return render_template("members/join.html", organisation=organisation, form=form,
                           form_errors=form_errors), status


@bp.post("/organisations/<int:organisation_id>/join-requests/<int:request_id>")
def decide(organisation_id: int, request_id: int):
    organisation = _organisation(organisation_id)
    action = request.form.get("action")
    if action not in ("approve", "decline"):
        permissions.ensure_can_manage_members(current_user, organisation)
        raise ValidationFailed(_("Choose to approve or decline."))
    decided = join_requests.decide(get_session(), current_user, organisation, request_id, action == "approve")
    flash(_("%(name)s is now a member.", name=decided.user.name) if decided.status == "approved"
          else _("The request of %(name)s is declined.", name=decided.user.name), "success")
    return _back(organisation.id)


@bp.get("/invitations/<token>")
@public
def open_invitation(token: str):
    """Anyone may open the link: a new person registers with it, someone with an account signs in."""
    try:
        invitations.invitation_for_token(get_session(), token)
    except NotFound as error:
        return render_template("members/invitation_invalid.html", message=error.message), error.status
    session[INVITATION_KEY] = token
    if current_user.is_authenticated:
        return redirect(url_for(".accept_invitation"))
    return redirect(url_for("auth.register"))


@bp.route("/invitations/accept", methods=["GET", "POST"])
def accept_invitation():
    db, token = get_session(), session.get(INVITATION_KEY, "")
    try:
        invitation = invitations.invitation_for_token(db, token)
    except NotFound as error:
        session.pop(INVITATION_KEY, None)
        return render_template("members/invitation_invalid.html", message=error.message), error.status
    if request.method == "POST":
        organisation = invitations.accept(db, current_user, token)
        session.pop(INVITATION_KEY, None)
        flash(_("Welcome to %(name)s!", name=organisation.name), "success")
        return redirect(url_for("organisations.detail", organisation_id=organisation.id))
    return render_template("members/accept.html", invitation=invitation)


def pending_invitation_token() -> str:
    return session.get(INVITATION_KEY, "")


def forget_invitation() -> None:
    session.pop(INVITATION_KEY, None)

