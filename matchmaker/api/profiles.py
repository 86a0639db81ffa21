"""/api/v1/needs and /api/v1/capabilities over the profile services."""

from __future__ import annotations

from typing import Any

from flask import g, request, url_for
from pydantic import ValidationError

from matchmaker.api import api_blueprint as bp
from matchmaker.api.errors import error_response
from matchmaker.api.schemas import LIST_BY_KIND, OUTPUT_BY_KIND, ListQuery
from matchmaker.database import get_session
from matchmaker.services import profiles as profile_service
from matchmaker.services.browse import ProfileFilters, browse_profiles
from matchmaker.services.schemas import field_errors

KIND_BY_SECTION = {"needs": "need", "capabilities": "capability"}
SECTION = "<any(needs, capabilities):section>"
LIST_PARAMS = {"clinical_area", "care_setting"}


def serialise(profile) -> dict[str, Any]:
    return OUTPUT_BY_KIND[profile.kind].model_validate(profile).model_dump(mode="json")


def _json_body() -> dict[str, Any] | None:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


def _bad_body():
    return error_response(400, "The request body must be a JSON object (Content-Type: application/json).")


@bp.get(f"/{SECTION}")
def list_profiles(section: str):
    kind = KIND_BY_SECTION[section]
    raw = {key: (request.args.getlist(key) if key in LIST_PARAMS else request.args.get(key))
           for key in request.args}
    try:
        query = ListQuery.model_validate(raw)
    except ValidationError as error:
        return error_response(422, "Invalid query parameters.", field_errors(error))
    filters = ProfileFilters(
        q=query.q, clinical_areas=_split(query.clinical_area), care_settings=_split(query.care_setting),
        trl_min=query.trl_min, trl_max=query.trl_max, country=query.country, language=query.language,
        organisation_id=query.organisation, scope="mine" if query.mine else "public")
    page = browse_profiles(get_session(), g.api_user, kind, filters, query.page, query.per_page)
    listing = {"items": page.items, "total": page.total, "page": page.page,
               "per_page": page.per_page, "pages": page.pages}
    return LIST_BY_KIND[kind].model_validate(listing, from_attributes=True).model_dump(mode="json")


def _split(values: list[str]) -> list[str]:
    """Accept both ?clinical_area=a&clinical_area=b and ?clinical_area=a,b."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@bp.post(f"/{SECTION}")
def create_profile(section: str):
    body = _json_body()
    if body is None:
        return _bad_body()
    profile = profile_service.create_profile(get_session(), g.api_user, KIND_BY_SECTION[section], body)
    location = url_for("api.get_profile", section=section, profile_id=profile.id)
    return serialise(profile), 201, {"Location": location}


@bp.get(f"/{SECTION}/<int:profile_id>")
def get_profile(section: str, profile_id: int):
    profile = profile_service.get_visible_profile(get_session(), g.api_user, KIND_BY_SECTION[section], profile_id)
    return serialise(profile)


@bp.patch(f"/{SECTION}/<int:profile_id>")
def update_profile(section: str, profile_id: int):
    body = _json_body()
    if body is None:
        return _bad_body()
    db = get_session()
    profile = profile_service.get_visible_profile(db, g.api_user, KIND_BY_SECTION[section], profile_id)
    return serialise(profile_service.update_profile(db, g.api_user, profile, body))


@bp.post(f"/{SECTION}/<int:profile_id>/archive")
def archive_profile(section: str, profile_id: int):
    db = get_session()
    profile = profile_service.get_visible_profile(db, g.api_user, KIND_BY_SECTION[section], profile_id)
    return serialise(profile_service.archive_profile(db, g.api_user, profile))
