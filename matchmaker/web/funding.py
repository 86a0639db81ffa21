"""Funding pages: the instruments and their agency's editing, funding that fits a need or a
collaboration, what fits an agency's instruments, and what a funder follows."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.database import get_session
from matchmaker.match_views import record_match_view_after
from matchmaker.matching.runtime import get_engine
from matchmaker.services import profiles as profile_service
from matchmaker.services.collaborations import joint_needs
from matchmaker.services.collaborations import operations as collab
from matchmaker.services.funding import fits, follows, instruments, links, suggestions
from matchmaker.services.funding.instruments import InstrumentFilters
from matchmaker.web.funding_forms import InstrumentFilterForm, InstrumentForm
from matchmaker.web.helpers import form_status, optional_id, safe_next_url, submit_form

bp = Blueprint("funding", __name__, url_prefix="/funding")


@bp.get("")
def index():
    db = get_session()
    form = InstrumentFilterForm(request.args)
    form.validate()
    filters = InstrumentFilters(purpose=form.purpose.data or None, open_only=bool(form.open.data))
    own = instruments.of_agency(db, current_user.organisation_id) if instruments.is_agency_member(current_user) \
        else []
    return render_template("funding/index.html", form=form, items=instruments.published(db, filters), own=own,
                           can_create=instruments.is_agency_member(current_user))


@bp.route("/new", methods=["GET", "POST"])
def create():
    instruments.ensure_can_create(current_user)
    form = InstrumentForm()
    if request.method == "GET":
        form.language.data = str(get_locale() or "en")
    return _save_form(form, None)


@bp.get("/<int:instrument_id>")
def detail(instrument_id: int):
    instrument = instruments.get_visible(get_session(), current_user, instrument_id)
    return render_template("funding/detail.html", instrument=instrument,
                           can_edit=instruments.can_edit(current_user, instrument))


@bp.route("/<int:instrument_id>/edit", methods=["GET", "POST"])
def edit(instrument_id: int):
    instrument = instruments.get_visible(get_session(), current_user, instrument_id)
    instruments.ensure_can_edit(current_user, instrument)
    form = InstrumentForm(data=None if request.method == "POST" else instruments.editable_fields(instrument))
    return _save_form(form, instrument)


def _save_form(form: InstrumentForm, instrument):
    """'publish' in the form publishes at once; otherwise the status stays (new ones are drafts)."""
    db = get_session()

    def save(data: dict):
        data["status"] = "published" if request.form.get("action") == "publish" else \
            ("draft" if instrument is None or instrument.status == "archived" else instrument.status)
        if instrument is None:
            return instruments.create(db, current_user, data)
        return instruments.update(db, current_user, instrument, data)

    saved, form_errors = submit_form(form, save)
    if saved is not None:
        flash(_("Published.") if saved.status == "published" else _("Saved as a draft. Only your agency sees it."),
              "success")
        return redirect(url_for("funding.detail", instrument_id=saved.id))
    return render_template("funding/form.html", form=form, instrument=instrument,
                           form_errors=form_errors), form_status(form, form_errors)


@bp.post("/<int:instrument_id>/<any(publish, archive):action>")
def change_status(instrument_id: int, action: str):
    db = get_session()
    instrument = instruments.get_visible(db, current_user, instrument_id)
    if action == "publish":
        instruments.publish(db, current_user, instrument)
        flash(_("Published. Everyone signed in can now find it."), "success")
    else:
        instruments.archive(db, current_user, instrument)
        flash(_("Archived. It is no longer suggested."), "info")
    return redirect(url_for("funding.detail", instrument_id=instrument.id))


@bp.get("/needs/<int:need_id>")
def for_need(need_id: int):
    db = get_session()
    need = profile_service.get_visible_profile(db, current_user, "need", need_id)
    results = suggestions.for_need(db, get_engine(), current_user, need)
    record_match_view_after(current_user, need, "instruments", "web", len(results))
    return render_template("funding/suggestions.html", need=need, results=results,
                           spans=joint_needs.trusts_and_sites(db, need))


@bp.get("/fitting")
def fitting():
    db = get_session()
    overview = fits.for_agency(db, get_engine(), current_user)
    return render_template("funding/fitting.html", overview=overview, followed=follows.followed_ids(db, current_user))


@bp.get("/following")
def following():
    db = get_session()
    return render_template("funding/following.html", items=follows.followed_by(db, current_user))


@bp.post("/follow")
def follow():
    form = request.form
    follows.follow(get_session(), current_user, need_id=optional_id(form.get("need_id")),
                   collaboration_id=optional_id(form.get("collaboration_id")),
                   instrument_id=optional_id(form.get("instrument_id")))
    flash(_("You now follow it and hear about its changes."), "success")
    return redirect(safe_next_url(url_for("funding.following")))


@bp.post("/follows/<int:follow_id>/delete")
def unfollow(follow_id: int):
    follows.unfollow(get_session(), current_user, follow_id)
    flash(_("You no longer follow it."), "info")
    return redirect(safe_next_url(url_for("funding.following")))


@bp.post("/collaborations/<int:collaboration_id>/<any(seek, unseek):action>")
def seek(collaboration_id: int, action: str):
    db = get_session()
    collaboration = collab.get_visible(db, current_user, collaboration_id)
    instrument_id = optional_id(request.form.get("instrument_id")) or 0
    if action == "seek":
        instrument = instruments.get_visible(db, current_user, instrument_id)
        links.seek(db, current_user, collaboration, instrument)
        flash(_("%(agency)s can now read this collaboration and has been told.",
                agency=instrument.organisation.name), "success")
    else:
        links.stop_seeking(db, current_user, collaboration, instrument_id)
        flash(_("You no longer seek that instrument for this collaboration."), "info")
    return redirect(url_for("collaborations.detail", collaboration_id=collaboration.id))


@bp.app_template_global()
def collaboration_funding(collaboration) -> dict:
    """What the collaboration page shows of funding: to the parties the instruments they seek and
    suggestions with conditions; to an agency that reads it, what it seeks and following."""
    db = get_session()
    is_party = collab.is_party(current_user, collaboration)
    panel = {"is_party": is_party, "links": links.links_of(db, collaboration), "suggestions": [],
             "is_funder": instruments.is_agency_member(current_user), "follow_id": None}
    if is_party:
        panel["suggestions"] = suggestions.for_collaboration(db, get_engine(), current_user, collaboration)
    elif panel["is_funder"]:
        panel["follow_id"] = follows.followed_ids(db, current_user)["collaboration"].get(collaboration.id)
    else:
        panel["links"] = []  # which funding the parties seek is theirs and the agency's business
    return panel


@bp.app_template_global()
def need_follow_id(need) -> int | None:
    """The current user's follow of a need, for the follow button on the need page."""
    if not instruments.is_agency_member(current_user):
        return None
    return follows.followed_ids(get_session(), current_user)["need"].get(need.id)
