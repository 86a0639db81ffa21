"""/api/v1/organisations: read-only."""

from __future__ import annotations

from flask import g, request

from matchmaker.api import api_blueprint as bp
from matchmaker.api.documented import documented
from matchmaker.api.schemas import Organisation, OrganisationList, OrganisationQuery
from matchmaker.database import get_session
from matchmaker.services import organisations


@bp.get("/organisations")
@documented("list_organisations", OrganisationList, query=OrganisationQuery)
def list_organisations():
    kind = OrganisationQuery.model_validate(request.args.to_dict()).kind or None
    items = organisations.list_organisations(get_session(), g.api_user, kind)
    return OrganisationList.model_validate({"items": items}, from_attributes=True).model_dump(mode="json")


@bp.get("/organisations/<int:organisation_id>")
@documented("get_organisation", Organisation, errors=("404",))
def get_organisation(organisation_id: int):
    organisation = organisations.get_organisation(get_session(), g.api_user, organisation_id)
    return Organisation.model_validate(organisation).model_dump(mode="json")
