"""Administration: every organisation, searchable, and approving or declining new ones."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from matchmaker.database import get_session
from matchmaker.services import organisations, permissions
from matchmaker.services.errors import ValidationFailed
from matchmaker.web.helpers import optional_id

bp = Blueprint("admin", __name__, url_prefix="/admin")

SEARCH_LIMIT = 200


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Why is it declined?"), validators=[
        DataRequired(_l("Say why; the members will read it.")),
        Length(max=organisations.DECLINE_REASON_LIMIT)])


@bp.before_request
def _require_admin():
    permissions.ensure_admin(current_user)


@bp.get("/organisations")
def organisation_list():
    return _list_page()


def _list_page(declining: int | None = None, decline_errors: list[str] | None = None, status: int = 200):
    """The list, optionally with one organisation's decline form open and its errors shown."""
    db = get_session()
    search = (request.args.get("q") or "").strip()[:SEARCH_LIMIT]
    state = request.args.get("state") if request.args.get("state") in organisations.ADMIN_STATES else None
    page = organisations.admin_list(db, current_user, search, state, optional_id(request.args.get("page")) or 1)
    return render_template("admin/organisations.html", page=page, search=search, state=state,
                           counts=organisations.state_counts(db), declining=declining,
                           decline_errors=decline_errors or []), status


@bp.post("/organisations/<int:organisation_id>/approve")
def approve(organisation_id: int):
    db = get_session()
    organisation = organisations.get_organisation(db, current_user, organisation_id)
    organisations.approve_organisation(db, current_user, organisation)
    flash(_("%(name)s is approved; its published profiles are now visible.", name=organisation.name), "success")
    return redirect(url_for("admin.organisation_list"))


@bp.post("/organisations/<int:organisation_id>/decline")
def decline(organisation_id: int):
    db = get_session()
    organisation = organisations.get_organisation(db, current_user, organisation_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _list_page(organisation.id, [str(e) for errors in form.errors.values() for e in errors], 422)
    try:
        organisations.decline_organisation(db, current_user, organisation, form.reason.data)
    except ValidationFailed as error:
        return _list_page(organisation.id, list(error.field_errors.values()) or [error.message], 422)
    flash(_("%(name)s is declined; its members can read your reason.", name=organisation.name), "success")
    return redirect(url_for("admin.organisation_list"))
