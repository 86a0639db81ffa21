"""Reading query parameters the same way in every endpoint."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import abort, current_app, request
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError

from matchmaker.api.documented import operation_of
from matchmaker.api.errors import error_response
from matchmaker.api.schemas import FacetQuery
from matchmaker.services.browse import ProfileFilters
from matchmaker.services.errors import ValidationFailed
from matchmaker.services.schemas import field_errors

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


def parse_body(model: type[Body], innermost_names: bool = False) -> Body:
    """The request's JSON object read as the model: 400 when the body is no JSON object, 422 with
    the fields' errors when it does not fit. The errors are keyed by the top-level field's name
    ('terms'), or with ``innermost_names`` by the innermost one ('scope' within 'terms')."""
    _ensure_documented("body", model)
    body = json_body()
    if body is None:
        abort(bad_body())
    return _validated(model, body, innermost_names)


def parse_query(model: type[Body]) -> Body:
    """The query string read as the model: 422 with the fields' errors when it does not fit."""
    _ensure_documented("query", model)
    return _validated(model, query_args())


def _ensure_documented(part: str, model: type[BaseModel]) -> None:
    """In tests, a handler that reads another model than its operation documents fails loudly, so
    the OpenAPI document cannot drift from what the handlers read."""
    if current_app.testing:
        documented = getattr(operation_of(current_app.view_functions[request.endpoint]), part, None)
        if documented is not model:
            raise AssertionError(f"{request.endpoint} reads its {part} as {model.__name__}, "
                                 f"but its operation documents {documented!r}")


def _validated(model: type[Body], data: dict, innermost_names: bool = False) -> Body:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        errors = _innermost_field_errors(error) if innermost_names else field_errors(error)
        raise ValidationFailed(_("Please correct the marked fields."), errors) from None


def _innermost_field_errors(error: ValidationError) -> dict[str, str]:
    """Like field_errors, but keyed by the innermost field name of each error's location."""
    errors: dict[str, str] = {}
    for item in error.errors():
        names = [str(part) for part in item["loc"] if not isinstance(part, int)]
        errors.setdefault(names[-1] if names else "_form", item["msg"].removeprefix("Value error, "))
    return errors
