"""The terms of a collaboration: the template both parties start from, and checking an edit."""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _

from matchmaker.models import Profile
from matchmaker.services.errors import ValidationFailed
from matchmaker.vocabulary import INTERFACE_LOCALES, TEST_TYPES

TEXT_FIELDS = ("scope", "site", "supplier_contribution", "department_contribution", "data_access", "ip_terms",
               "cost_terms", "funding_sought")
TEXT_LIMIT = 5000
SHORT_LIMITS = {"site": 300}  # stored in a column of that width


def template(need: Profile, capability: Profile | None) -> dict:
    """Clear starting terms, filled from the two profiles, for the parties to edit (the API's
    terms when a client leaves them out)."""
    test_types = [code for code in need.test_types if code in TEST_TYPES]
    return {
        "scope": placeholder_scope(need, capability),
        "test_type": test_types[0] if test_types else "pilot",
        "site": need.organisation.name,
        "period_start": None, "period_end": None,
        "supplier_contribution": _("The product, training of staff, technical support during the test, and a "
                                   "contact person."),
        "department_contribution": getattr(need, "test_offer", None) or _(
            "A test environment, staff time and a clinical lead for the period."),
        "data_access": _("Only the data the test needs. No patient data leaves the trust without a data "
                         "processing agreement."),
        "dpia_needed": bool(getattr(need, "patient_data", False)),
        "ip_terms": _("Each party keeps the rights it brings. Results of the test may be published by both "
                      "parties; improvements to the product belong to the supplier."),
        "cost_terms": _("Each party carries its own costs unless funding is granted."),
        "funding_sought": getattr(capability, "funding_sought", None) or "",
    }


def form_template(need: Profile, capability: Profile | None) -> dict:
    """The starting terms a person sees: the template with its decisions (the test type, whether
    a DPIA is needed) left for them to make, so that nothing is chosen in their name."""
    return {**template(need, capability), "test_type": None, "dpia_needed": False}


def placeholder_scope(need: Profile, capability: Profile | None) -> str:
    """The template's scope: a prompt to replace, not terms anyone agreed to."""
    product = capability.title if capability else _("the supplier's solution")
    return _("Test of %(product)s against the need \"%(need)s\": what is tested, with whom, and how success "
             "is measured.", product=product, need=need.title)


def placeholder_scopes(need: Profile, capability: Profile | None) -> set[str]:
    """The template's scope in every interface language: the page may have been read in
    another language than the one the proposal is sent in."""
    scopes = set()
    for locale in INTERFACE_LOCALES:
        with force_locale(locale):
            scopes.add(_comparable(placeholder_scope(need, capability)))
    return scopes


def _comparable(text: str) -> str:
    return " ".join(text.split()).casefold()


def clean(data: dict, placeholders: set[str] = frozenset()) -> dict:
    """Checks an edit of the terms; returns the values to store or raises with field errors.
    placeholders: scopes that are the template's own prompt, refused as they stand."""
    errors: dict[str, str] = {}
    cleaned = {name: (data.get(name) or "").strip() for name in TEXT_FIELDS}
    for name, value in cleaned.items():
        limit = SHORT_LIMITS.get(name, TEXT_LIMIT)
        if len(value) > limit:
            errors[name] = _("At most %(count)d characters.", count=limit)
    if not cleaned["scope"]:
        errors["scope"] = _("Describe what the collaboration will test.")
    elif _comparable(cleaned["scope"]) in placeholders:
        errors["scope"] = _("The scope is still the template's prompt. Say in your own words what is tested, "
                            "with whom, and how success is measured.")
    cleaned["test_type"] = data.get("test_type")
    if cleaned["test_type"] not in TEST_TYPES:
        errors["test_type"] = _("Choose a test type.")
    cleaned["period_start"], cleaned["period_end"] = _date(data, "period_start", errors), _date(data, "period_end",
                                                                                                errors)
    if cleaned["period_start"] and cleaned["period_end"] and cleaned["period_end"] < cleaned["period_start"]:
        errors["period_end"] = _("The period ends before it starts.")
    cleaned["dpia_needed"] = bool(data.get("dpia_needed"))
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors)
    return cleaned


def _date(data: dict, name: str, errors: dict) -> date | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[name] = _("A date such as 2026-09-01.")
        return None
