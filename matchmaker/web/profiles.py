"""Browse, read, create, edit, publish and archive need and capability profiles.

Both kinds share these views; the URL's first part ("needs" or "capabilities") picks the kind.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.database import get_session
from matchmaker.services import organisations, permissions
from matchmaker.services import profiles as profile_service
from matchmaker.services.browse import ProfileFilters, browse_profiles
from matchmaker.services.collaborations import joint_needs
from matchmaker.services.collaborations.operations import published_results
from matchmaker.services.errors import ValidationFailed
from matchmaker.web.forms import FORM_BY_KIND, FilterForm, choices
from matchmaker.web.helpers import form_data, optional_id, show_errors

bp = Blueprint("profiles", __name__)

KIND_BY_SECTION = {"needs": "need", "capabilities": "capability"}
SECTION = "<any(needs, capabilities):section>"


def _kind(section: str) -> str:
    return KIND_BY_SECTION[section]


@bp.get(f"/{SECTION}")
def browse(section: str):
    kind = _kind(section)
    db = get_session()
    form = FilterForm(request.args)
    publisher_kinds = permissions.PUBLISHER_KINDS[kind]
    form.organisation.choices = choices([("", _("Any organisation"))] + [
        (str(o.id), o.name) for k in publisher_kinds for o in organisations.list_organisations(db, current_user, k)
    ])
    filters = filters_from(form, scope="mine" if request.args.get("mine") else "public")
    page = browse_profiles(db, current_user, kind, filters, page_number(),
                           current_app.config["PAGE_SIZE"])
    return render_template("profiles/browse.html", section=section, kind=kind, form=form,
                           page=page, filters=filters,
                           can_create=permissions.can_create_profile(current_user, kind))


def filters_from(form, scope: str = "public") -> ProfileFilters:
    """Filters from a submitted filter form; invalid values are shown and left out."""
    form.validate()
    data = {name: (None if name in form.errors else field.data) for name, field in form._fields.items()}
    organisation = data.get("organisation")
    return ProfileFilters(
        q=(data.get("q") or "").strip(), clinical_areas=data.get("clinical_area") or [],
        care_settings=data.get("care_setting") or [], trl_min=data.get("trl_min"),
        trl_max=data.get("trl_max"), country=data.get("country") or None,
        language=data.get("language") or None,
        organisation_id=optional_id(organisation),
        organisation_kind=data.get("organisation_kind") or None, scope=scope,
    )


def page_number() -> int:
    return request.args.get("page", 1, type=int) or 1


@bp.get(f"/{SECTION}/<int:profile_id>")
def detail(section: str, profile_id: int):
    db = get_session()
    profile = profile_service.get_visible_profile(db, current_user, _kind(section), profile_id)
    return render_template("profiles/detail.html", section=section, profile=profile,
                           can_edit=permissions.can_edit_profile(current_user, profile),
                           results=published_results(db, profile),
                           co_owners=joint_needs.co_owners(db, profile) if profile.kind == "need" else [],
                           spans=joint_needs.trusts_and_sites(db, profile) if profile.kind == "need" else (1, 1),
                           can_join=joint_needs.can_join(current_user, profile))


@bp.post("/needs/<int:profile_id>/join")
def join_need(profile_id: int):
    db = get_session()
    need = profile_service.get_visible_profile(db, current_user, "need", profile_id)
    joint_needs.join(db, current_user, need, request.form.get("site", ""), request.form.get("patient_volume", ""))
    flash(_("%(name)s now co-owns this need.", name=current_user.organisation.name), "success")
    return redirect(url_for("profiles.detail", section="needs", profile_id=need.id))


@bp.post("/needs/<int:profile_id>/leave")
def leave_need(profile_id: int):
    db = get_session()
    need = profile_service.get_visible_profile(db, current_user, "need", profile_id)
    joint_needs.leave(db, current_user, need)
    flash(_("Your organisation no longer co-owns this need."), "success")
    return redirect(url_for("profiles.detail", section="needs", profile_id=need.id))


@bp.route(f"/{SECTION}/new", methods=["GET", "POST"])
def create(section: str):
    kind = _kind(section)
    permissions.ensure_can_create_profile(current_user, kind)
    form = FORM_BY_KIND[kind]()
    if request.method == "GET":
        form.language.data = _default_profile_language()
    return _save_form(section, form, profile=None)


@bp.route(f"/{SECTION}/<int:profile_id>/edit", methods=["GET", "POST"])
def edit(section: str, profile_id: int):
    db = get_session()
    profile = profile_service.get_visible_profile(db, current_user, _kind(section), profile_id)
    permissions.ensure_can_edit_profile(current_user, profile)
    form = FORM_BY_KIND[profile.kind](obj=None if request.method == "POST" else profile)
    return _save_form(section, form, profile)


def _save_form(section: str, form, profile):
    """Validate and save a create or edit form; 'publish' in the form publishes at once."""
    form_errors: list[str] = []
    if form.validate_on_submit():
        data = form_data(form)
        data["status"] = _status_after_save(profile)
        try:
            profile = _store(profile, section, data)
        except ValidationFailed as error:
            form_errors = show_errors(form, error)
        else:
            flash(_saved_message(profile), "success")
            return redirect(url_for("profiles.detail", section=section, profile_id=profile.id))
    status = 422 if (form.errors or form_errors) else 200
    return render_template("profiles/form.html", section=section, kind=_kind(section), form=form,
                           profile=profile, form_errors=form_errors), status


def _status_after_save(profile) -> str:
    if request.form.get("action") == "publish":
        return "published"
    return profile.status if profile is not None else "draft"


def _store(profile, section: str, data: dict):
    db = get_session()
    if profile is None:
        return profile_service.create_profile(db, current_user, _kind(section), data)
    return profile_service.update_profile(db, current_user, profile, data)


def _saved_message(profile) -> str:
    if profile.status == "published" and not profile.organisation.is_approved:
        return _("Published. It becomes visible to others once an administrator approves your organisation.")
    if profile.status == "published":
        return _("Published. Everyone signed in can now find it.")
    return _("Saved as a draft. Only your organisation can see it.")


def _default_profile_language() -> str:
    return str(get_locale() or "en")


@bp.post(f"/{SECTION}/<int:profile_id>/publish")
def publish(section: str, profile_id: int):
    db = get_session()
    profile = profile_service.get_visible_profile(db, current_user, _kind(section), profile_id)
    try:
        profile_service.publish_profile(db, current_user, profile)
    except ValidationFailed as error:
        reasons = "; ".join(map(str, error.field_errors.values()))
        flash(_("It cannot be published yet: %(reason)s", reason=reasons), "error")
        return redirect(url_for("profiles.edit", section=section, profile_id=profile_id))
    flash(_saved_message(profile), "success")
    return redirect(url_for("profiles.detail", section=section, profile_id=profile_id))


@bp.post(f"/{SECTION}/<int:profile_id>/archive")
def archive(section: str, profile_id: int):
    db = get_session()
    profile = profile_service.get_visible_profile(db, current_user, _kind(section), profile_id)
    profile_service.archive_profile(db, current_user, profile)
    flash(_("Archived. It no longer appears to others."), "info")
    return redirect(url_for("main.dashboard"))
