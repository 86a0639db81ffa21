"""The terms of a collaboration: the template both parties start from, and checking an edit."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from matchmaker.models import Profile
from matchmaker.services.errors import ValidationFailed
from matchmaker.vocabulary import TEST_TYPES

TEXT_FIELDS = ("scope", "site", "supplier_contribution", "department_contribution", "data_access", "ip_terms",
               "cost_terms", "funding_sought")
TEXT_LIMIT = 5000
SHORT_LIMITS = {"site": 300}  # stored in a column of that width


def template(need: Profile, capability: Profile | None) -> dict:
    """Clear starting terms, filled from the two profiles, for the parties to edit."""
    product = capability.title if capability else _("the supplier's solution")
    test_types = [code for code in need.test_types if code in TEST_TYPES]
    return {
        "scope": _("Test of %(product)s against the need \"%(need)s\": what is tested, with whom, and how success "
                   "is measured.", product=product, need=need.title),
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


def clean(data: dict) -> dict:
    """Checks an edit of the terms; returns the values to store or raises with field errors."""
    errors: dict[str, str] = {}
    cleaned = {name: (data.get(name) or "").strip() for name in TEXT_FIELDS}
    for name, value in cleaned.items():
        limit = SHORT_LIMITS.get(name, TEXT_LIMIT)
        if len(value) > limit:
            errors[name] = _("At most %(count)d characters.", count=limit)
    if not cleaned["scope"]:
        errors["scope"] = _("Describe what the collaboration will test.")
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
