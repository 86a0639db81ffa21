"""Reading query parameters the same way in every endpoint."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import abort, current_app, request
from pydantic import BaseModel

from matchmaker.api.documented import operation_of
from matchmaker.api.errors import error_response
from matchmaker.api.schemas import FacetQuery
from matchmaker.services.browse import ProfileFilters
from matchmaker.services.schemas import validated

Body = TypeVar("Body", bound=BaseModel)

LIST_PARAMS = {"clinical_area", "care_setting"}


def query_args() -> dict:
    """Query parameters, with the repeatable ones as lists."""
    return {key: (request.args.getlist(key) if key in LIST_PARAMS else request.args.get(key)) for key in request.args}


def split_codes(values: list[str]) -> list[str]:
    """Accept both ?clinical_area=a&clinical_area=b and ?clinical_area=a,b."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def facet_filters(query: FacetQuery, **more) -> ProfileFilters:
    return ProfileFilters(
        clinical_areas=split_codes(query.clinical_area), care_settings=split_codes(query.care_setting),
        trl_min=query.trl_min, trl_max=query.trl_max, country=query.country, language=query.language, **more)


def json_body() -> dict[str, Any] | None:
    """The request's JSON object, or None when the body is not one."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


def bad_body():
    return error_response(400, "The request body must be a JSON object (Content-Type: application/json).")


def parse_body(model: type[Body]) -> Body:
    """The request's JSON object read as the model: 400 when the body is no JSON object, 422 with
    the fields' errors when it does not fit."""
    _ensure_documented("body", model)
    body = json_body()
    if body is None:
        abort(bad_body())
    return validated(model, body)


def parse_query(model: type[Body]) -> Body:
    """The query string read as the model: 422 with the fields' errors when it does not fit."""
    _ensure_documented("query", model)
    return validated(model, query_args())


def _ensure_documented(part: str, model: type[BaseModel]) -> None:
    """In tests, a handler that reads another model than its operation documents fails loudly, so
    the OpenAPI document cannot drift from what the handlers read. A subclass may loosen what the
    document shows for a service to check (a proposal's terms, checked once by the terms service)."""
    if current_app.testing:
        documented = getattr(operation_of(current_app.view_functions[request.endpoint]), part, None)
        if documented is None or not issubclass(model, documented):
            raise AssertionError(f"{request.endpoint} reads its {part} as {model.__name__}, "
                                 f"but its operation documents {documented!r}")
