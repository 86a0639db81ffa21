"""The OpenAPI 3.1 document at /api/v1/openapi.json, built from the response and input models."""

from __future__ import annotations

from functools import cache

from pydantic.json_schema import models_json_schema

from matchmaker.api import api_blueprint as bp
from matchmaker.api import schemas as out
from matchmaker.api.arena_schemas import ARENA_MODELS
from matchmaker.api.arena_setup_schemas import SETUP_MODELS
from matchmaker.api.collaboration_schemas import COLLABORATION_MODELS
from matchmaker.api.funding_schemas import FUNDING_MODELS
from matchmaker.api.indicators import INDICATOR_MODELS, indicator_paths
from matchmaker.services.browse import MAX_PER_PAGE
from matchmaker.services.schemas import CapabilityInput, NeedInput

REF = "#/components/schemas/{model}"
MODELS = [out.Need, out.Capability, out.NeedList, out.CapabilityList, out.Organisation,
          out.OrganisationList, out.Error, NeedInput, CapabilityInput, out.MatchList, out.TextMatchRequest]
MATCH_PARAMETERS = [
    ("clinical_area", "string", "Clinical area code; repeat or comma-separate for several (any of)"),
    ("care_setting", "string", "Care setting code; repeat or comma-separate for several (any of)"),
    ("trl_min", "integer", "Lowest TRL (1-9)"), ("trl_max", "integer", "Highest TRL (1-9)"),
    ("country", "string", "Country code of the organisation"), ("language", "string", "Language code"),
    ("organisation_kind", "string", "Kind of the matched profile's organisation"),
    ("limit", "integer", "How many matches, 1-50 (default 10)"),
    ("offset", "integer", "Matches to skip, 0-100 (default 0): the next page starts at offset + limit"),
]
ERRORS = {"400": "Malformed request body", "401": "Missing, unknown or revoked API token",
          "403": "Not allowed for your organisation", "404": "No such object, or not visible to you",
          "409": "Conflicts with the current state", "422": "Invalid fields; see error.fields"}
LIST_PARAMETERS = [
    ("q", "string", "Words that must all appear in the title, text or organisation name"),
    ("clinical_area", "string", "Clinical area code; repeat or comma-separate for several (any of)"),
    ("care_setting", "string", "Care setting code; repeat or comma-separate for several (any of)"),
    ("trl_min", "integer", "Lowest TRL (1-9)"), ("trl_max", "integer", "Highest TRL (1-9)"),
    ("country", "string", "Country code of the organisation (NO, SE, DK, FI, IS, other)"),
    ("language", "string", "Language code of the profile (nb, nn, sv, da, en)"),
    ("organisation", "integer", "Organisation id"),
    ("mine", "boolean", "Only your organisation's profiles, drafts included"),
    ("page", "integer", "Page number, from 1"), ("per_page", "integer", f"Items per page, 1-{MAX_PER_PAGE}"),
]


def _ref(name: str) -> dict:
    return {"$ref": REF.format(model=name)}


def _json(name: str) -> dict:
    return {"content": {"application/json": {"schema": _ref(name)}}}


def _responses(ok_status: str, ok_model: str, errors: tuple[str, ...]) -> dict:
    responses = {ok_status: {"description": "Success", **_json(ok_model)}}
    for status in errors:
        responses[status] = {"description": ERRORS[status], **_json("Error")}
    return responses


def _id_parameter(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


def _profile_paths(section: str, model: str, input_model: str) -> dict:
    list_params = [{"name": n, "in": "query", "required": False, "schema": {"type": t}, "description": d}
                   for n, t, d in LIST_PARAMETERS]
    body = {"required": True, **_json(input_model)}
    item = [_id_parameter("profile_id")]
    return {
        f"/{section}": {
            "get": {"operationId": f"list_{section}", "parameters": list_params,
                    "responses": _responses("200", f"{model}List", ("401", "422"))},
            "post": {"operationId": f"create_{section}", "requestBody": body,
                     "responses": _responses("201", model, ("400", "401", "403", "422"))},
        },
        f"/{section}/{{profile_id}}": {
            "get": {"operationId": f"get_{section}", "parameters": item,
                    "responses": _responses("200", model, ("401", "404"))},
            "patch": {"operationId": f"update_{section}", "parameters": item,
                      "requestBody": {"required": True, "content": {"application/json": {
                          "schema": {"type": "object", "description": f"Any fields of {input_model}"}}}},
                      "responses": _responses("200", model, ("400", "401", "403", "404", "422"))},
        },
        f"/{section}/{{profile_id}}/archive": {
            "post": {"operationId": f"archive_{section}", "parameters": item,
                     "responses": _responses("200", model, ("401", "403", "404", "409"))},
        },
    }


@cache
def openapi_spec() -> dict:
    # Imported here: that module builds its paths with this module's helpers.
    from matchmaker.api.arena_event_day import EVENT_DAY_MODELS, event_day_paths
    from matchmaker.api.arena_organiser import organiser_paths
    from matchmaker.api.arena_setup import setup_paths
    from matchmaker.api.arenas import participant_paths
    from matchmaker.api.collaborations import collaboration_paths
    from matchmaker.api.funding import funding_paths
    from matchmaker.api.members import MEMBER_MODELS, member_paths
    from matchmaker.api.notifications import notification_paths
    from matchmaker.api.privacy import privacy_paths

    models = [*MODELS, *COLLABORATION_MODELS]
    models += INDICATOR_MODELS
    models += FUNDING_MODELS
    models += ARENA_MODELS + SETUP_MODELS
    models += EVENT_DAY_MODELS
    models += MEMBER_MODELS
    _, schema = models_json_schema([(m, "serialization") for m in models], ref_template=REF)
    paths = {**_profile_paths("needs", "Need", "NeedInput"),
             **_profile_paths("capabilities", "Capability", "CapabilityInput")}
    match_params = [{"name": n, "in": "query", "required": False, "schema": {"type": t}, "description": d}
                    for n, t, d in MATCH_PARAMETERS]
    for path, operation in (("/needs/{profile_id}/matches", "match_need"),
                            ("/capabilities/{profile_id}/matches", "match_capability"),
                            ("/needs/{profile_id}/similar", "similar_needs")):
        paths[path] = {"get": {"operationId": operation, "parameters": [_id_parameter("profile_id"), *match_params],
                               "responses": _responses("200", "MatchList", ("401", "404", "422"))}}
    paths["/match"] = {"post": {"operationId": "match_text", "requestBody": {"required": True, **_json(
        "TextMatchRequest")}, "responses": _responses("200", "MatchList", ("400", "401", "422"))}}
    paths["/organisations"] = {"get": {"operationId": "list_organisations", "parameters": [
        {"name": "kind", "in": "query", "required": False, "schema": {"type": "string"}}],
        "responses": _responses("200", "OrganisationList", ("401",))}}
    paths["/organisations/{organisation_id}"] = {"get": {
        "operationId": "get_organisation", "parameters": [_id_parameter("organisation_id")],
        "responses": _responses("200", "Organisation", ("401", "404"))}}
    paths.update(collaboration_paths())
    paths.update(indicator_paths())
    paths.update(notification_paths())
    paths.update(funding_paths())
    paths.update(privacy_paths())
    paths.update(participant_paths())
    paths.update(organiser_paths())
    paths.update(event_day_paths())
    paths.update(member_paths())
    for path, operations in setup_paths().items():  # beside the participants' operations on the same paths
        paths.setdefault(path, {}).update(operations)
    return {
        "openapi": "3.1.0",
        "info": {"title": "matchmaker API", "version": "1.0.0",
                 "description": "Needs of clinical departments and capabilities of health-tech suppliers."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {"schemas": schema["$defs"],
                       "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    }


@bp.get("/openapi.json")
def openapi_document():
    return openapi_spec()
