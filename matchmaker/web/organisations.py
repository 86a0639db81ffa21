"""Organisation pages: who they are and what they have published."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.database import get_session
from matchmaker.services import join_requests, members, organisations, permissions
from matchmaker.services.browse import MAX_PER_PAGE, ProfileFilters, browse_profiles
from matchmaker.services.errors import ValidationFailed
from matchmaker.web.forms import OrganisationForm
from matchmaker.web.helpers import form_data, show_errors

bp = Blueprint("organisations", __name__, url_prefix="/organisations")


@bp.get("")
def index():
    return render_template("organisations/index.html",
                           organisations=organisations.list_organisations(get_session(), current_user))


@bp.get("/<int:organisation_id>")
def detail(organisation_id: int):
    db = get_session()
    organisation = organisations.get_organisation(db, current_user, organisation_id)
    filters = ProfileFilters(organisation_id=organisation.id)
    if current_user.organisation_id == organisation.id:
        filters.scope = "mine"
    needs = browse_profiles(db, current_user, "need", filters, per_page=MAX_PER_PAGE).items
    capabilities = browse_profiles(db, current_user, "capability", filters, per_page=MAX_PER_PAGE).items
    is_member = current_user.organisation_id == organisation.id
    return render_template("organisations/detail.html", organisation=organisation,
                           needs=needs, capabilities=capabilities, can_edit=is_member,
                           members=members.list_members(db, current_user, organisation) if is_member else [],
                           waiting=join_requests.waiting_count(db, organisation.id)
                           if permissions.is_organisation_admin(current_user, organisation.id) else 0)


@bp.route("/<int:organisation_id>/edit", methods=["GET", "POST"])
def edit(organisation_id: int):
    db = get_session()
    organisation = organisations.get_organisation(db, current_user, organisation_id)
    permissions.ensure_can_edit_organisation(current_user, organisation)
    form = OrganisationForm(obj=None if request.method == "POST" else organisation)
    if form.validate_on_submit():
        try:
            organisations.update_organisation(db, current_user, organisation, form_data(form))
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("organisations.detail", organisation_id=organisation.id))
    status = 422 if form.errors else 200
    return render_template("organisations/edit.html", form=form, organisation=organisation), status
