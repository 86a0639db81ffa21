"""Each API handler says what it takes and answers where it is written, with the models it reads
its body and query through; matchmaker.api.openapi builds the document's paths from these marks
and the Flask routes, so the document cannot drift from the handlers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

View = TypeVar("View", bound=Callable[..., Any])
# An answer or a body: a model (a component of the document), a JSON schema written out, or
# (answers only) None for no content.
Schema = type[BaseModel] | dict | None


class PerPath(dict):
    """A model or schema that depends on the value a route's any() converter takes, keyed by it:
    /needs answers NeedList where /capabilities answers CapabilityList."""


@dataclass(frozen=True)
class Changes:
    """A PATCH body: any fields of the model; those left out keep their values."""

    model: type[BaseModel]


@dataclass(frozen=True)
class Operation:
    operation_id: str | PerPath
    answer: Schema | PerPath
    status: str = "200"
    errors: dict[str, str | None] = field(default_factory=dict)
    body: Schema | Changes | PerPath = None
    query: type[BaseModel] | None = None
    description: str | None = None
    media_type: str = "application/json"
    answer_description: str = "Success"


def documented(operation_id: str | PerPath, answer: Schema | PerPath, *, status: int = 200,
               errors: tuple[str, ...] | dict[str, str | None] = (), body: Schema | Changes | PerPath = None,
               query: type[BaseModel] | None = None, description: str | None = None,
               media_type: str = "application/json", answer_description: str = "Success") -> Callable[[View], View]:
    """Marks a handler with its operation. ``operation_id`` may name a route's any() argument
    ({section}) or depend on it; ``errors`` are statuses, or statuses with their own descriptions. 401 (no
    valid token) is added to every operation."""
    described = dict.fromkeys(errors) if isinstance(errors, tuple) else dict(errors)
    described.setdefault("401", None)
    operation = Operation(operation_id, answer, str(status), dict(sorted(described.items())), body, query,
                          description, media_type, answer_description)

    def mark(view: View) -> View:
        view.operation = operation  # type: ignore[attr-defined]
        return view
    return mark


def operation_of(view: Callable[..., Any]) -> Operation | None:
    return getattr(view, "operation", None)
