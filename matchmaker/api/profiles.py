"""/api/v1/needs and /api/v1/capabilities over the profile services."""

from __future__ import annotations

from typing import Any

from flask import g, url_for

from matchmaker.api import api_blueprint as bp
from matchmaker.api.documented import Changes, PerPath, documented
from matchmaker.api.params import bad_body, facet_filters, json_body, parse_query
from matchmaker.api.schemas import LIST_BY_KIND, OUTPUT_BY_KIND, Capability, CapabilityList, ListQuery, Need, NeedList
from matchmaker.database import get_session
from matchmaker.services import profiles as profile_service
from matchmaker.services.browse import browse_profiles
from matchmaker.services.schemas import CapabilityInput, NeedInput

KIND_BY_SECTION = {"needs": "need", "capabilities": "capability"}
SECTION = "<any(needs, capabilities):section>"
PROFILE = PerPath(needs=Need, capabilities=Capability)
INPUT = PerPath(needs=NeedInput, capabilities=CapabilityInput)


def serialise(profile) -> dict[str, Any]:
    return OUTPUT_BY_KIND[profile.kind].model_validate(profile).model_dump(mode="json")


@bp.get(f"/{SECTION}")
@documented("list_{section}", PerPath(needs=NeedList, capabilities=CapabilityList), errors=("422",), query=ListQuery)
def list_profiles(section: str):
    kind = KIND_BY_SECTION[section]
    query = parse_query(ListQuery)
    filters = facet_filters(query, q=query.q, organisation_id=query.organisation,
                            scope="mine" if query.mine else "public")
    page = browse_profiles(get_session(), g.api_user, kind, filters, query.page, query.per_page)
    listing = {"items": page.items, "total": page.total, "page": page.page,
               "per_page": page.per_page, "pages": page.pages}
    return LIST_BY_KIND[kind].model_validate(listing, from_attributes=True).model_dump(mode="json")


@bp.post(f"/{SECTION}")
@documented("create_{section}", PROFILE, status=201, errors=("400", "403", "422"), body=INPUT)
def create_profile(section: str):
    body = json_body()
    if body is None:
        return bad_body()
    profile = profile_service.create_profile(get_session(), g.api_user, KIND_BY_SECTION[section], body)
    location = url_for("api.get_profile", section=section, profile_id=profile.id)
    return serialise(profile), 201, {"Location": location}


@bp.get(f"/{SECTION}/<int:profile_id>")
@documented("get_{section}", PROFILE, errors=("404",))
def get_profile(section: str, profile_id: int):
    profile = profile_service.get_visible_profile(get_session(), g.api_user, KIND_BY_SECTION[section], profile_id)
    return serialise(profile)


@bp.patch(f"/{SECTION}/<int:profile_id>")
@documented("update_{section}", PROFILE, errors=("400", "403", "404", "422"),
            body=PerPath(needs=Changes(NeedInput), capabilities=Changes(CapabilityInput)))
def update_profile(section: str, profile_id: int):
    body = json_body()
    if body is None:
        return bad_body()
    db = get_session()
    profile = profile_service.get_visible_profile(db, g.api_user, KIND_BY_SECTION[section], profile_id)
    return serialise(profile_service.update_profile(db, g.api_user, profile, body))


@bp.post(f"/{SECTION}/<int:profile_id>/archive")
@documented("archive_{section}", PROFILE, errors=("403", "404", "409"))
def archive_profile(section: str, profile_id: int):
    db = get_session()
    profile = profile_service.get_visible_profile(db, g.api_user, KIND_BY_SECTION[section], profile_id)
    return serialise(profile_service.archive_profile(db, g.api_user, profile))
