"""Organisation pages: who they are and what they have published."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from matchmaker.database import get_session
from matchmaker.services import organisations
from matchmaker.services.browse import ProfileFilters, browse_profiles

bp = Blueprint("organisations", __name__, url_prefix="/organisations")


@bp.before_request
@login_required
def _require_login():
    """Organisation pages are for signed-in users."""


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
    needs = browse_profiles(db, current_user, "need", filters, per_page=100).items
    capabilities = browse_profiles(db, current_user, "capability", filters, per_page=100).items
    return render_template("organisations/detail.html", organisation=organisation,
                           needs=needs, capabilities=capabilities)
