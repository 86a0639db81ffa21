"""The terms of a collaboration: the template both parties start from, and the one check of an
edit, shared by the pages and the API."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, field_validator

from matchmaker.messages import _, in_locale
from matchmaker.models import Profile
from matchmaker.services.schemas import validated
from matchmaker.vocabulary import INTERFACE_LOCALES, TEST_TYPES

TEXT_FIELDS = ("scope", "site", "supplier_contribution", "department_contribution", "data_access", "ip_terms",
               "cost_terms", "funding_sought")
TEXT_LIMIT = 5000
SHORT_LIMITS = {"site": 300}  # stored in a column of that width


def _empty_as(blank: Any) -> Callable[[Any], Any]:
    """Form fields and clients send null or "" for a field left empty."""
    return lambda value: blank if value in (None, "") else value


def _day(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(_("A date such as 2026-09-01.")) from None
    return value


Text = Annotated[str, BeforeValidator(_empty_as(""))]
Day = Annotated[date | None, BeforeValidator(_day), BeforeValidator(_empty_as(None))]
Flag = Annotated[bool, BeforeValidator(_empty_as(False))]


def template(need: Profile, capability: Profile | None) -> dict:
    """Clear starting terms, filled from the two profiles, for the parties to edit (the API's
    terms when a client leaves them out)."""
    test_types = [code for code in need.test_types if code in TEST_TYPES]
    return {
        "scope": placeholder_scope(need, capability),
        "test_type": test_types[0] if test_types else "pilot",
        "site": need.organisation.name,
        "period_start": None, "period_end": None,
        "supplier_contribution": str(_("The product, training of staff, technical support during the test, "
                                       "and a contact person.")),
        "department_contribution": getattr(need, "test_offer", None) or str(_(
            "A test environment, staff time and a clinical lead for the period.")),
        "data_access": str(_("Only the data the test needs. No patient data leaves the trust without a "
                             "data processing agreement.")),
        "dpia_needed": bool(getattr(need, "patient_data", False)),
        "ip_terms": str(_("Each party keeps the rights it brings. Results of the test may be published by "
                          "both parties; improvements to the product belong to the supplier.")),
        "cost_terms": str(_("Each party carries its own costs unless funding is granted.")),
        "funding_sought": getattr(capability, "funding_sought", None) or "",
    }


def form_template(need: Profile, capability: Profile | None) -> dict:
    """The starting terms a person sees: the template with its decisions (the test type, whether
    a DPIA is needed) left for them to make, so that nothing is chosen in their name."""
    return {**template(need, capability), "test_type": None, "dpia_needed": False}


def placeholder_scope(need: Profile, capability: Profile | None) -> str:
    """The template's scope: a prompt to replace, not terms anyone agreed to."""
    product = capability.title if capability else _("the supplier's solution")
    return str(_("Test of %(product)s against the need \"%(need)s\": what is tested, with whom, and how success "
                 "is measured.", product=product, need=need.title))


def placeholder_scopes(need: Profile, capability: Profile | None) -> set[str]:
    """The template's scope in every interface language: the page may have been read in
    another language than the one the proposal is sent in."""
    scopes = set()
    for locale in INTERFACE_LOCALES:
        with in_locale(locale):
            scopes.add(_comparable(placeholder_scope(need, capability)))
    return scopes


def _comparable(text: str) -> str:
    return " ".join(text.split()).casefold()


class TermsInput(BaseModel):
    """An edit of the terms. Every field may be left out or empty here so that a missing scope
    or test type gets its own message; unknown fields are refused, so a misspelt one never
    passes silently. Field order matters: period_end is checked against period_start."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_default=True)

    scope: Text = ""
    test_type: str | None = None
    site: Text = ""
    period_start: Day = None
    period_end: Day = None
    supplier_contribution: Text = ""
    department_contribution: Text = ""
    data_access: Text = ""
    dpia_needed: Flag = False
    ip_terms: Text = ""
    cost_terms: Text = ""
    funding_sought: Text = ""

    @field_validator(*TEXT_FIELDS)
    @classmethod
    def _text(cls, value: str, info: ValidationInfo) -> str:
        if info.field_name == "scope":
            _check_scope(value, (info.context or {}).get("placeholders", ()))
        limit = SHORT_LIMITS.get(info.field_name, TEXT_LIMIT)
        if len(value) > limit:
            raise ValueError(_("At most %(count)d characters.", count=limit))
        return value

    @field_validator("test_type", mode="before")
    @classmethod
    def _test_type(cls, value: Any) -> str:
        if value not in TEST_TYPES:
            raise ValueError(_("Choose a test type."))
        return value

    @field_validator("period_end")
    @classmethod
    def _period_order(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("period_start")
        if start and end and end < start:
            raise ValueError(_("The period ends before it starts."))
        return end


FIELDS = tuple(TermsInput.model_fields)


def _check_scope(scope: str, placeholders: Collection[str]) -> None:
    if not scope:
        raise ValueError(_("Describe what the collaboration will test."))
    if _comparable(scope) in placeholders:
        raise ValueError(_("The scope is still the template's prompt. Say in your own words what is tested, "
                           "with whom, and how success is measured."))


def clean(data: dict, placeholders: Collection[str] = frozenset()) -> dict:
    """Checks an edit of the terms; returns the values to store or raises with field errors.
    placeholders: scopes that are the template's own prompt, refused as they stand."""
    return validated(TermsInput, data, {"placeholders": placeholders}).model_dump()


def terms_of(data: dict) -> dict:
    """The terms among a form's values (a proposal's form also picks the profiles)."""
    return {name: value for name, value in data.items() if name in FIELDS}
