"""The OpenAPI 3.1 document at /api/v1/openapi.json: its paths from the API's Flask routes and the
operation each handler is marked with (matchmaker.api.documented), its components from the models
the handlers read and answer with."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from functools import cache

from flask import current_app
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from matchmaker.api import api_blueprint as bp
from matchmaker.api.documented import Changes, Operation, PerPath, operation_of
from matchmaker.api.schemas import Error

PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"
ERRORS = {"400": "Malformed request body", "401": "Missing, unknown or revoked API token",
          "403": "Not allowed for your organisation", "404": "No such object, or not visible to you",
          "409": "Conflicts with the current state", "422": "Invalid fields; see error.fields"}
ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")
TYPES = {"int": {"type": "integer"}, "float": {"type": "number"}}


def api_operations() -> Iterator[tuple[str, str, Operation | None]]:
    """Every /api/v1 route's rule, method and operation (None: not documented)."""
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi_document":
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.rule.removeprefix(PREFIX), method.lower(), operation_of(
                    current_app.view_functions[rule.endpoint])


def concrete_paths(rule: str) -> Iterator[tuple[str, dict[str, str], list[dict]]]:
    """The document's paths of a rule, its any() arguments' values in each, and its path parameters."""
    choices: list[tuple[str, list[str]]] = []
    parameters = []
    for found in ARGUMENT.finditer(rule):
        if found["converter"] == "any":
            choices.append((found["name"], [value.strip() for value in found["args"].split(",")]))
        else:
            parameters.append({"name": found["name"], "in": "path", "required": True,
                               "schema": TYPES.get(found["converter"], {"type": "string"})})
    yield from _choose(rule, choices, {}, parameters)


def _choose(rule: str, choices: list, values: dict[str, str], parameters: list[dict]):
    if not choices:
        yield ARGUMENT.sub(lambda m: f"{{{m['name']}}}", rule), values, parameters
        return
    (name, options), rest = choices[0], choices[1:]
    for value in options:
        yield from _choose(re.sub(rf"<any\([^)]*\):{name}>", value, rule), rest, {**values, name: value}, parameters)


class Components:
    """The component schemas of the models the operations name, and their references."""

    def __init__(self, operations: list[Operation]):
        models = {Error}
        for operation in operations:
            for item in (operation.answer, operation.body):
                models |= set(_models(item))
        self.models = sorted(models, key=lambda m: (m.__name__, m.__module__))
        refs, schema = models_json_schema([(m, "serialization") for m in self.models], ref_template=REF)
        self.refs = {model: refs[(model, "serialization")] for model in self.models}
        self.schemas = schema["$defs"]

    def schema(self, item) -> dict:
        if isinstance(item, Changes):
            return self._changes(item.model)
        return self.refs[item] if isinstance(item, type) else item

    def _changes(self, model: type[BaseModel]) -> dict:
        name = f"{model.__name__}Changes"
        if name not in self.schemas:
            whole = self.refs[model]["$ref"].rsplit("/", 1)[-1]
            changes = copy.deepcopy(self.schemas[whole])
            changes.pop("required", None)
            changes["title"] = name
            changes["description"] = f"Any fields of {whole}; those left out keep their values."
            self.schemas[name] = changes
        return {"$ref": REF.format(model=name)}


def _models(item) -> Iterator[type[BaseModel]]:
    if isinstance(item, PerPath):
        for value in item.values():
            yield from _models(value)
    elif isinstance(item, Changes):
        yield item.model
    elif isinstance(item, type):
        yield item


def _pick(item, values: dict[str, str]):
    return item[next(iter(values.values()))] if isinstance(item, PerPath) else item


def query_parameters(model: type[BaseModel]) -> list[dict]:
    """The query model's fields as parameters, with their bounds and types; a field that may be
    None is simply left out of the query."""
    schema = model.model_json_schema(mode="validation")
    required = set(schema.get("required", ()))
    parameters = []
    for name, field in schema["properties"].items():
        field = _without_null(field)
        field.pop("title", None)
        if field.get("default", "") is None:
            del field["default"]
        parameter = {"name": name, "in": "query", "required": name in required, "schema": field}
        if "description" in field:
            parameter["description"] = field.pop("description")
        parameters.append(parameter)
    return parameters


def _without_null(field: dict) -> dict:
    options = [option for option in field.get("anyOf", ()) if option != {"type": "null"}]
    if len(options) == 1:
        rest = {key: value for key, value in field.items() if key != "anyOf"}
        return {**options[0], **rest}
    return dict(field)


def _responses(operation: Operation, answer, components: Components) -> dict:
    if answer is None:
        ok = {"description": "Success, no content"}
    else:
        ok = {"description": operation.answer_description,
              "content": {operation.media_type: {"schema": components.schema(answer)}}}
    responses = {operation.status: ok}
    for status, description in operation.errors.items():
        responses[status] = {"description": description or ERRORS[status],
                             "content": {"application/json": {"schema": components.schema(Error)}}}
    return responses


def describe(operation: Operation, values: dict[str, str], parameters: list[dict], components: Components) -> dict:
    described = {"operationId": _pick(operation.operation_id, values).format(**values)}
    if operation.description:
        described["description"] = operation.description
    query = query_parameters(operation.query) if operation.query else []
    if parameters or query:
        described["parameters"] = [*parameters, *query]
    body = _pick(operation.body, values)
    if body is not None:
        described["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": components.schema(body)}}}
    described["responses"] = _responses(operation, _pick(operation.answer, values), components)
    return described


@cache
def openapi_spec() -> dict:
    routes = [(rule, method, operation) for rule, method, operation in api_operations() if operation]
    components = Components([operation for _, _, operation in routes])
    paths: dict[str, dict] = {}
    for rule, method, operation in routes:
        for path, values, parameters in concrete_paths(rule):
            paths.setdefault(path, {})[method] = describe(operation, values, parameters, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "matchmaker API", "version": "1.0.0",
                 "description": "Needs of clinical departments and capabilities of health-tech suppliers."},
        "servers": [{"url": PREFIX}],
        "security": [{"bearerAuth": []}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": components.schemas,
                       "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    }


@bp.get("/openapi.json")
def openapi_document():
    return openapi_spec()
