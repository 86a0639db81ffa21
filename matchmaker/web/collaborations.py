"""Collaboration pages: the list, proposing from a need or a match, the record with its terms,
history and comments, and the parties' actions."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.database import get_session
from matchmaker.models import Meeting, Profile
from matchmaker.services import permissions
from matchmaker.services.arenas import access as arena_access
from matchmaker.services.collaborations import operations as collab
from matchmaker.services.collaborations import terms as terms_rules
from matchmaker.services.errors import NotFound, ValidationFailed
from matchmaker.services.profiles import organisation_profiles
from matchmaker.vocabulary import COLLABORATION_STAGES, label
from matchmaker.web.collaboration_forms import NoteForm, TermsForm, actions_for
from matchmaker.web.forms import choices
from matchmaker.web.helpers import form_status, optional_id, submit_form

bp = Blueprint("collaborations", __name__, url_prefix="/collaborations")


@bp.get("")
def index():
    db = get_session()
    return render_template("collaborations/index.html", mine=collab.collaborations_of(db, current_user),
                           listed=collab.listed_collaborations(db))


def _profile(value: str | None, kind: str) -> Profile | None:
    profile_id = optional_id(value)
    if profile_id is None:
        return None
    profile = get_session().get(Profile, profile_id)
    if profile is None or profile.kind != kind:
        raise NotFound(_("No such profile."))
    permissions.ensure_can_view_profile(current_user, profile)
    return profile


@bp.route("/new", methods=["GET", "POST"])
def new():
    db = get_session()
    source = request.form if request.method == "POST" else request.args
    need = _profile(source.get("need_id") or request.args.get("need"), "need")
    capability = _profile(source.get("capability_id") or request.args.get("capability"), "capability")
    form = TermsForm()
    if request.method == "GET" and need is not None:
        form.process(data=terms_rules.form_template(need, capability))
    _profile_choices(form, need, capability)
    if need is None and request.method == "POST":
        form.validate_on_submit()  # so every other field shows its errors too
        form.need_id.errors = [_("Choose the need.")]
        collaboration, form_errors = None, []
    else:
        collaboration, form_errors = submit_form(form, lambda data: collab.propose(
            db, current_user, need, capability, terms_rules.terms_of(data), _meeting(db), own_scope=True))
    if collaboration is not None:
        flash(_("Proposal sent to %(name)s.", name=_other_party(collaboration).name), "success")
        return redirect(url_for("collaborations.detail", collaboration_id=collaboration.id))
    return render_template("collaborations/form.html", form=form, need=need, capability=capability,
                           form_errors=form_errors, collaboration=None), form_status(form, form_errors)


def _profile_choices(form: TermsForm, need: Profile | None, capability: Profile | None) -> None:
    """Each side picks one of its own published profiles; the other side's profile is given."""
    own = [p for p in organisation_profiles(get_session(), current_user.organisation_id or -1)
           if p.status == "published"]
    form.need_id.choices = choices(_options(need, [p for p in own if p.kind == "need"], blank=_("Choose…")))
    form.capability_id.choices = choices(_options(capability, [p for p in own if p.kind == "capability"],
                                                  blank=_("— none —")))
    form.need_id.data = str(need.id) if need else form.need_id.data
    form.capability_id.data = str(capability.id) if capability else form.capability_id.data


def _options(given: Profile | None, own: list[Profile], blank: str | None = None) -> list[tuple[str, str]]:
    """The other side's given profile alone; or the user's own, none of them chosen for them."""
    if given is not None and given.organisation_id != current_user.organisation_id:
        return [(str(given.id), given.title)]
    return ([("", blank)] if blank else []) + [(str(p.id), p.title) for p in own]


def _meeting(db):
    """The arena meeting the proposal comes from: only one the proposer sat in."""
    meeting_id = request.args.get("meeting", type=int)
    if not meeting_id:
        return None
    meeting = db.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(_("No such meeting."))
    arena_access.ensure_party(meeting, current_user)
    return meeting


def _other_party(collaboration):
    return collaboration.department if current_user.organisation_id == collaboration.supplier_id \
        else collaboration.supplier


@bp.get("/<int:collaboration_id>")
def detail(collaboration_id: int):
    collaboration = collab.get_visible(get_session(), current_user, collaboration_id)
    return _detail_page(collaboration)


def _detail_page(collaboration, failed: tuple[str, str, str] | None = None, status: int = 200):
    """failed: (action key, typed reason, error) of an action refused for its reason, shown at
    that action's own field with what was typed."""
    version = request.args.get("version", type=int)
    shown = next((t for t in collaboration.terms if t.version == version), collaboration.current_terms)
    return render_template("collaborations/detail.html", collaboration=collaboration, terms=shown,
                           is_party=collab.is_party(current_user, collaboration), note_form=NoteForm(),
                           can_read_comments=collab.can_read_comments(current_user, collaboration),
                           actions=actions_for(current_user, collaboration), failed=failed), status


@bp.route("/<int:collaboration_id>/terms", methods=["GET", "POST"])
def edit_terms(collaboration_id: int):
    db = get_session()
    collaboration = collab.get_visible(db, current_user, collaboration_id)
    form = TermsForm(obj=None if request.method == "POST" else collaboration.current_terms)
    terms, form_errors = submit_form(form, lambda data: collab.update_terms(
        db, current_user, collaboration, terms_rules.terms_of(data), own_scope=True))
    if terms is not None:
        flash(_("New terms saved; both sides agree to them again."), "success")
        return redirect(url_for("collaborations.detail", collaboration_id=collaboration.id))
    return render_template("collaborations/form.html", form=form, collaboration=collaboration,
                           need=collaboration.need, capability=collaboration.capability,
                           form_errors=form_errors), form_status(form, form_errors)


@bp.post("/<int:collaboration_id>/<any(move, changes, agree, comment, listing, result):action>")
def act(collaboration_id: int, action: str):
    db = get_session()
    collaboration = collab.get_visible(db, current_user, collaboration_id)
    form = request.form
    if action in ("move", "changes"):
        key, note = form.get("to", "") if action == "move" else "changes", form.get("note", "")
        try:
            _answer(db, collaboration, action, key, note)
        except ValidationFailed as error:
            return _detail_page(collaboration, (key, note, error.message), 422)
    elif action == "agree":
        collab.agree(db, current_user, collaboration)
        flash(_("You agreed to version %(version)d of the terms.", version=collaboration.current_terms.version),
              "success")
    elif action == "comment":
        collab.comment(db, current_user, collaboration, form.get("text", ""))
    elif action == "listing":
        collab.set_listing(db, current_user, collaboration, form.get("listed") == "1")
    else:
        collab.publish_result(db, current_user, collaboration, form.get("summary", ""))
        flash(_("The result is published on the need and the capability profile."), "success")
    return redirect(url_for("collaborations.detail", collaboration_id=collaboration.id))


def _answer(db, collaboration, action: str, to_stage: str, note: str) -> None:
    """A stage move, or asking for changes, each with the reason typed at its own button."""
    if action == "changes":
        collab.request_changes(db, current_user, collaboration, note)
        flash(_("Your request for changes is sent; the proposal waits for new terms."), "success")
        return
    collab.move(db, current_user, collaboration, to_stage, note)
    stage = label(COLLABORATION_STAGES, collaboration.stage)
    flash(_("The collaboration is now %(stage)s.", stage=stage), "success")
