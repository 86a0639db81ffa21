"""Validated input for funding instruments, shared by the web form and the JSON API."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from matchmaker.messages import _
from matchmaker.services.errors import ValidationFailed
from matchmaker.services.schemas import Description, LongText, Title, Trl, _codes, validated
from matchmaker.vocabulary import (
    CLINICAL_AREAS,
    COUNTRIES,
    FUNDING_APPLICANTS,
    FUNDING_PURPOSES,
    PROFILE_LANGUAGES,
)

Currency = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{3}$")]
LINK_LIMIT = 500
Link = Annotated[str, StringConstraints(strip_whitespace=True, max_length=LINK_LIMIT, pattern=r"^(https?://\S+)?$")]
Amount = Annotated[int, Field(ge=0, le=2_000_000_000)]
TRUSTS_RANGE = (1, 50)


class InstrumentInput(BaseModel):
    """A funding instrument as its agency writes it. ``rolling`` stands for 'no deadline'."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Title
    description: Description
    language: _codes(PROFILE_LANGUAGES)
    status: Literal["draft", "published"] = "draft"
    applicants: list[_codes(FUNDING_APPLICANTS)] = Field(min_length=1, max_length=3)
    purposes: list[_codes(FUNDING_PURPOSES)] = Field(min_length=1, max_length=4)
    amount_min: Amount | None = None
    amount_max: Amount | None = None
    currency: Currency = "NOK"
    rolling: bool = False
    deadline: date | None = None
    min_trusts: Annotated[int, Field(ge=TRUSTS_RANGE[0], le=TRUSTS_RANGE[1])] | None = None
    requires_supplier: bool = False
    trl_min: Trl | None = None
    trl_max: Trl | None = None
    clinical_areas: list[_codes(CLINICAL_AREAS)] = Field(default_factory=list, max_length=10)
    countries: list[_codes(COUNTRIES)] = Field(default_factory=list, max_length=6)
    requirements: LongText = ""
    url: Link = ""

    @model_validator(mode="after")
    def _ranges_and_deadline(self) -> InstrumentInput:
        errors = range_errors(self)
        if errors:
            raise ValidationFailed(_("Please correct the marked fields."), errors)
        return self


def range_errors(data: InstrumentInput) -> dict[str, str]:
    """Checks across fields, each reported on the field a person would correct."""
    errors = {}
    if data.amount_min is not None and data.amount_max is not None and data.amount_min > data.amount_max:
        errors["amount_max"] = _("The highest amount must not be below the lowest amount.")
    if data.trl_min and data.trl_max and data.trl_min > data.trl_max:
        errors["trl_max"] = _("The highest TRL must not be below the lowest TRL.")
    if data.rolling and data.deadline:
        errors["deadline"] = _("A rolling call has no deadline: leave the deadline empty.")
    if not data.rolling and data.deadline is None:
        errors["deadline"] = _("Give the deadline, or mark the call as rolling.")
    return errors


def validate_instrument(data: dict[str, Any]) -> InstrumentInput:
    """Validate instrument input or raise ValidationFailed with per-field messages."""
    cleaned = {key: (None if value == "" and key not in ("requirements", "url") else value)
               for key, value in data.items()}
    return validated(InstrumentInput, cleaned)
