"""Validated input for profiles, shared by the web forms, the JSON API and imports.

The pydantic models are also the source of the OpenAPI schemas, so the document cannot
drift from what the API accepts.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic import ValidationError as PydanticValidationError

from matchmaker.messages import _
from matchmaker.services.errors import ValidationFailed
from matchmaker.services.storable import nfc
from matchmaker.vocabulary import (
    AFFECTED_GROUPS,
    CARE_SETTINGS,
    CLINICAL_AREAS,
    PROCUREMENT_ROUTES,
    PROFILE_LANGUAGES,
    PROFILE_STATUSES,
    REGULATORY_CLASSES,
    TEST_TYPES,
)

Input = TypeVar("Input", bound=BaseModel)


def _codes(vocabulary: dict) -> Any:
    return Literal[tuple(vocabulary)]  # type: ignore[misc]


# Imports and the API take any non-empty text: a product called "Qi" or a terse line from another
# system is still a profile. The web form asks for more, to help people write useful profiles.
# The limits are named so that the forms state the same ones.
TITLE_LIMIT, DESCRIPTION_LIMIT, LONG_TEXT_LIMIT, SHORT_TEXT_LIMIT, PHRASE_LIMIT = 200, 20000, 10000, 200, 300
TRL_RANGE = (1, 9)
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_LIMIT)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=DESCRIPTION_LIMIT)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=LONG_TEXT_LIMIT)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=SHORT_TEXT_LIMIT)]
Phrase = Annotated[str, StringConstraints(max_length=PHRASE_LIMIT)]
Trl = Annotated[int, Field(ge=TRL_RANGE[0], le=TRL_RANGE[1])]


class ProfileInput(BaseModel):
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    title: Title
    description: Description
    language: _codes(PROFILE_LANGUAGES)
    status: _codes(PROFILE_STATUSES) = "draft"
    clinical_areas: list[_codes(CLINICAL_AREAS)] = Field(default_factory=list, max_length=10)
    care_settings: list[_codes(CARE_SETTINGS)] = Field(default_factory=list, max_length=10)
    test_types: list[_codes(TEST_TYPES)] = Field(default_factory=list, max_length=10)
    regulatory_class: _codes(REGULATORY_CLASSES) | None = None


class NeedInput(ProfileInput):
    affected_groups: list[_codes(AFFECTED_GROUPS)] = Field(default_factory=list, max_length=10)
    current_pathway: LongText | None = None
    patient_volume: ShortText | None = None
    test_offer: LongText | None = None
    test_period: ShortText | None = None
    trl_min: Trl | None = None
    trl_max: Trl | None = None
    evidence_level: Phrase | None = None
    dpia_needed: bool | None = None
    patient_data: bool | None = None
    procurement_route: _codes(PROCUREMENT_ROUTES) | None = None
    contact_name: ShortText | None = None
    contact_email: EmailStr | None = None

    @field_validator("trl_max")
    @classmethod
    def _trl_range_ordered(cls, trl_max: int | None, info: ValidationInfo) -> int | None:
        trl_min = info.data.get("trl_min")
        if trl_min and trl_max and trl_min > trl_max:
            raise ValueError(_("The highest TRL must not be below the lowest TRL."))
        return trl_max


class CapabilityInput(ProfileInput):
    trl: Trl | None = None
    evidence: LongText | None = None
    clinic_needs: LongText | None = None
    funding_sought: Phrase | None = None


INPUT_BY_KIND: dict[str, type[ProfileInput]] = {"need": NeedInput, "capability": CapabilityInput}


def field_errors(error: PydanticValidationError) -> dict[str, str]:
    """pydantic's errors as {field: message}, the first one of each field; errors across fields
    go under ``_form``. The one converter: pages and the API show the same fields."""
    errors: dict[str, str] = {}
    for item in error.errors():
        loc = [str(part) for part in item["loc"] if not isinstance(part, int)]
        field = loc[0] if loc else "_form"
        message = item["msg"].removeprefix("Value error, ")
        errors.setdefault(field, message)
    return errors


def one_of(choices, message, optional: bool = False):
    """A before-validator that lets through only ``choices`` (or, if ``optional``, nothing: None),
    refusing anything else with ``message`` rather than pydantic's own wording."""
    def check(value: Any) -> Any:
        if optional and not value:
            return None
        try:
            known = value in choices
        except TypeError:  # a list or an object where a code was expected
            known = False
        if not known:
            raise ValueError(message)
        return value
    return check


def text_within(field: str, value: str | None, limit: int, *, required: bool = False,
                message: object = None, summary: object = None) -> str:
    """One text a service takes on its own (a note, a comment, a reason), trimmed and in NFC: at
    most ``limit`` characters and, if ``required``, not empty. Refused on ``field`` with
    ``message`` (by default "At most N characters.") and above the form with ``summary`` (by
    default the same message), as the models' errors are."""
    try:
        return bounded_text(limit, required=required, message=message)(value)
    except ValueError as error:
        problem = error.args[0]
        raise ValidationFailed(summary or problem, {field: problem}) from None


def bounded_text(limit: int, *, required: bool = False, message: object = None):
    """A before-validator for a text field: trimmed and in NFC, at most ``limit`` characters and,
    if ``required``, not empty; refused with ``message`` (by default "At most N characters.")."""
    def check(value: Any) -> str:
        text = nfc(value or "").strip()
        if len(text) > limit or (required and not text):
            raise ValueError(message or _("At most %(count)d characters.", count=limit))
        return text
    return check


def validated(model: type[Input], data: Any, context: dict | None = None, message: str | None = None) -> Input:
    """data read as the model, or ValidationFailed with the fields' errors: how every service
    and API endpoint checks its input, so that all refuse with the same shape."""
    try:
        return model.model_validate(data, context=context)
    except PydanticValidationError as error:
        raise ValidationFailed(message or _("Please correct the marked fields."), field_errors(error)) from None


def validate_profile(kind: str, data: dict[str, Any]) -> ProfileInput:
    """Validate profile input or raise ValidationFailed with per-field messages."""
    cleaned = {key: (None if value == "" else value) for key, value in nfc(data).items()}
    return validated(INPUT_BY_KIND[kind], cleaned)


def known_fields(kind: str) -> set[str]:
    return set(INPUT_BY_KIND[kind].model_fields)
