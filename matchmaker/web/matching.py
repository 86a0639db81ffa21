"""Match pages: matched needs, suppliers to test with, similar needs, and the search box."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from matchmaker.database import get_session
from matchmaker.match_views import record_match_view_after
from matchmaker.matching import ranking
from matchmaker.matching.runtime import get_engine
from matchmaker.services import matching
from matchmaker.services import profiles as profile_service
from matchmaker.services.profiles import organisation_profiles
from matchmaker.services.storable import nfc
from matchmaker.web.forms import MatchFilterForm
from matchmaker.web.profiles import KIND_BY_SECTION, SECTION, filters_from, page_number

bp = Blueprint("matching", __name__)
RESULTS = 10


@bp.get(f"/{SECTION}/<int:profile_id>/matches")
def profile_matches(section: str, profile_id: int):
    db = get_session()
    profile = profile_service.get_visible_profile(db, current_user, KIND_BY_SECTION[section], profile_id)
    form = MatchFilterForm(request.args)
    results = matching.matches_for_profile(db, get_engine(), current_user, profile, filters_from(form), RESULTS,
                                           _offset())
    record_match_view_after(current_user, profile, "matches", results=len(results))
    return render_template("matching/results.html", mode="matches", profile=profile, form=form,
                           results=results, own_profiles=_own_profiles(profile.kind))


@bp.get("/needs/<int:profile_id>/similar")
def similar_needs(profile_id: int):
    db = get_session()
    need = profile_service.get_visible_profile(db, current_user, "need", profile_id)
    form = MatchFilterForm(request.args)
    results = matching.similar_needs(db, get_engine(), current_user, need, filters_from(form), RESULTS, _offset())
    record_match_view_after(current_user, need, "similar", results=len(results))
    return render_template("matching/results.html", mode="similar", profile=need, form=form,
                           results=results, own_profiles=_own_profiles("need"))


@bp.get("/matches")
def my_matches():
    """The newest own profile's matches; the search box when there is none."""
    for profile in _own_profiles(None):
        if profile.status != "archived":
            section = "needs" if profile.kind == "need" else "capabilities"
            return redirect(url_for("matching.profile_matches", section=section, profile_id=profile.id))
    return redirect(url_for("matching.search"))


@bp.get("/match")
def search():
    form = MatchFilterForm(request.args)
    text = nfc(request.args.get("text") or "").strip()[:5000]
    kind = request.args.get("kind") if request.args.get("kind") in KIND_BY_SECTION.values() else _wanted_kind()
    results = []
    if text:
        results = matching.match_text(get_session(), get_engine(), current_user, text, kind, filters_from(form),
                                      RESULTS, _offset())
        record_match_view_after(current_user, None, "search", results=len(results))
    return render_template("matching/search.html", form=form, text=text, kind=kind, results=results)


def _offset() -> int:
    """Matches are ranked from a pool of a hundred, so pages stop there."""
    return (max(1, min(page_number(), ranking.POOL // RESULTS)) - 1) * RESULTS


def _wanted_kind() -> str:
    return "capability" if current_user.role == "health" else "need"


def _own_profiles(kind: str | None):
    if not current_user.organisation_id:
        return []
    return organisation_profiles(get_session(), current_user.organisation_id, kind)
