"""Administration: approving new organisations."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matchmaker.database import get_session
from matchmaker.services import organisations, permissions

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _require_admin():
    permissions.ensure_admin(current_user)


@bp.get("/organisations")
def organisation_list():
    db = get_session()
    return render_template("admin/organisations.html",
                           pending=organisations.pending_organisations(db),
                           approved=organisations.list_organisations(db, current_user))


@bp.post("/organisations/<int:organisation_id>/approve")
def approve(organisation_id: int):
    db = get_session()
    organisation = organisations.get_organisation(db, current_user, organisation_id)
    organisations.approve_organisation(db, current_user, organisation)
    flash(_("%(name)s is approved; its published profiles are now visible.", name=organisation.name), "success")
    return redirect(url_for("admin.organisation_list"))
