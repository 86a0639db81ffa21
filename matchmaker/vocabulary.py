"""Controlled vocabularies shared by profiles, forms, the API and imports.

Codes are stored in the database and exchanged in JSON; labels are translated at render time,
so every label is wrapped in ``lazy_gettext``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ORGANISATION_KINDS = {
    "supplier": _l("Supplier (start-up or SME)"),
    "health_trust": _l("Health trust"),
    "clinical_department": _l("Clinical department"),
    "regional_health_authority": _l("Regional health authority"),
    "funding_agency": _l("Funding agency"),
    "arena_organiser": _l("Arena organiser"),
}

# Which kind of organisation may sit above another one.
PARENT_KINDS = {
    "clinical_department": ("health_trust",),
    "health_trust": ("regional_health_authority",),
}

CLINICAL_AREAS = {
    "cardiology": _l("Cardiology"),
    "oncology": _l("Oncology"),
    "neurology": _l("Neurology"),
    "stroke": _l("Stroke"),
    "mental_health": _l("Mental health"),
    "emergency_medicine": _l("Emergency medicine"),
    "intensive_care": _l("Intensive care"),
    "anaesthesia": _l("Anaesthesia"),
    "surgery": _l("Surgery"),
    "orthopaedics": _l("Orthopaedics"),
    "radiology": _l("Radiology and imaging"),
    "laboratory_medicine": _l("Laboratory medicine"),
    "pathology": _l("Pathology"),
    "paediatrics": _l("Paediatrics"),
    "obstetrics_gynaecology": _l("Obstetrics and gynaecology"),
    "geriatrics": _l("Geriatrics"),
    "rehabilitation": _l("Rehabilitation"),
    "primary_care": _l("Primary care"),
    "infectious_diseases": _l("Infectious diseases"),
    "endocrinology_diabetes": _l("Endocrinology and diabetes"),
    "respiratory": _l("Respiratory medicine"),
    "nephrology": _l("Nephrology"),
    "gastroenterology": _l("Gastroenterology"),
    "dermatology": _l("Dermatology"),
    "ophthalmology": _l("Ophthalmology"),
    "medication_management": _l("Medication management"),
    "wound_care": _l("Wound care"),
    "palliative_care": _l("Palliative care"),
    "patient_logistics": _l("Patient flow and logistics"),
    "nursing_care": _l("Nursing care"),
}

CARE_SETTINGS = {
    "prehospital": _l("Pre-hospital"),
    "emergency": _l("Emergency department"),
    "inpatient": _l("Inpatient ward"),
    "outpatient": _l("Outpatient clinic"),
    "home": _l("Patient's home"),
    "municipal_care": _l("Nursing home and municipal care"),
    "mental_health": _l("Mental health services"),
}

TEST_TYPES = {
    "usability_test": _l("Usability test"),
    "clinical_investigation": _l("Clinical investigation"),
    "pilot": _l("Pilot"),
    "health_economic_evaluation": _l("Health-economic evaluation"),
}

AFFECTED_GROUPS = {
    "patients": _l("Patients"),
    "relatives": _l("Relatives"),
    "staff": _l("Staff"),
    "leaders": _l("Leaders"),
}

REGULATORY_CLASSES = {
    "none": _l("Not a medical device"),
    "ce_i": _l("CE class I (MDR)"),
    "ce_iia": _l("CE class IIa (MDR)"),
    "ce_iib": _l("CE class IIb (MDR)"),
    "ce_iii": _l("CE class III (MDR)"),
    "ivd_a": _l("IVD class A (IVDR)"),
    "ivd_b": _l("IVD class B (IVDR)"),
    "ivd_c": _l("IVD class C (IVDR)"),
    "ivd_d": _l("IVD class D (IVDR)"),
}

PROCUREMENT_ROUTES = {
    "innovation_partnership": _l("Innovation partnership"),
    "pre_commercial_procurement": _l("Pre-commercial procurement"),
    "ofu_contract": _l("Public R&D contract (OFU)"),
    "ordinary_tender": _l("Ordinary tender"),
    "undecided": _l("Not decided yet"),
}

PROFILE_LANGUAGES = {
    "nb": _l("Norwegian (bokmål)"),
    "nn": _l("Norwegian (nynorsk)"),
    "sv": _l("Swedish"),
    "da": _l("Danish"),
    "en": _l("English"),
}

COUNTRIES = {
    "NO": _l("Norway"),
    "SE": _l("Sweden"),
    "DK": _l("Denmark"),
    "FI": _l("Finland"),
    "IS": _l("Iceland"),
    "other": _l("Other country"),
}

COMPANY_SIZES = {
    "1-10": _l("1-10 employees"),
    "11-50": _l("11-50 employees"),
    "51-250": _l("51-250 employees"),
    "250+": _l("More than 250 employees"),
}

PROFILE_STATUSES = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "archived": _l("Archived"),
}

# Meeting arenas and collaborations.
GROUP_PAIRS = {
    "health-supplier": _l("Suppliers and health-sector staff"),
    "funder-supplier": _l("Suppliers and funders"),
    "funder-health": _l("Health-sector staff and funders"),
    "supplier-supplier": _l("Suppliers with each other"),
    "health-health": _l("Health-sector staff with each other"),
    "funder-funder": _l("Funders with each other"),
}
ARENA_STATUSES = {
    "draft": _l("Draft: only organisers see it"),
    "open": _l("Open: people can register and request meetings"),
    "closed": _l("Closed: no new registrations or requests"),
}
MEETING_OUTCOMES = {
    "follow_up_planned": _l("Follow-up planned"),
    "test_collaboration_proposed": _l("Test collaboration proposed"),
    "funding_discussed": _l("Funding discussed"),
    "no_fit": _l("No fit for now"),
    "other": _l("Other"),
}
PARTICIPANT_GROUPS = {"supplier": _l("Supplier"), "health": _l("Health sector"), "funder": _l("Funder")}
UNSCHEDULED_REASONS = {
    "no_common_slot": _l("No common free slot"),
    "participant_full": _l("A participant is full"),
    "no_table": _l("No free table"),
    "too_large": _l("No table seats that many"),
    "not_reached": _l("Not placed yet"),
    "not_run": _l("Scheduler not run since accepted"),
}
REGISTRATION_STATUSES = {"pending": _l("Waiting"), "approved": _l("Approved"), "declined": _l("Declined")}
ATTENDANCE = {"held": _l("Held"), "no_show": _l("No-show")}
# Meeting request statuses, worded to finish a sentence ("This request is already ...").
MEETING_STATUSES = {
    "pending": _l("waiting for an answer"),
    "accepted": _l("accepted"),
    "declined": _l("declined"),
    "expired": _l("expired"),
    "cancelled": _l("cancelled"),
}
COLLABORATION_STAGES = {
    "proposed": _l("proposed"),
    "accepted": _l("accepted"),
    "declined": _l("declined"),
    "agreement": _l("agreement"),
    "testing": _l("testing"),
    "verified": _l("verified"),
    "stopped": _l("stopped"),
}

# Funding instruments.
FUNDING_APPLICANTS = {
    "health_trust": _l("Health trust or clinical department"),
    "supplier": _l("Supplier (start-up or SME)"),
    "consortium": _l("Consortium of trusts and suppliers"),
}
FUNDING_PURPOSES = {
    "pre_project": _l("Pre-project"),
    "test": _l("Test and verification"),
    "pilot": _l("Pilot"),
    "rd_contract": _l("Public R&D contract"),
}
# What a user can choose to hear about, and through which channel.
NOTIFICATION_TOPICS = {
    "requests": _l("Meeting and collaboration requests"),
    "answers": _l("Acceptances and declines"),
    "stages": _l("Collaboration stages, terms and comments"),
    "schedule": _l("Arena registrations and schedules"),
    "deadlines": _l("Deadlines (arena requests, funding calls)"),
    "following": _l("Needs and collaborations you follow"),
}

INTERFACE_LOCALES = {"en": "English", "nb": "Norsk bokmål", "sv": "Svenska"}

TRL_RANGE = range(1, 10)


def label(vocabulary: dict, code: str | None) -> str:
    """The translated label for a code, or the code itself if it is unknown."""
    if code is None:
        return ""
    return str(vocabulary.get(code, code))
