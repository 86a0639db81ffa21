"""The conditions of an instrument checked against a need or a collaboration, each one met, not
met or unknown, in words a clinician or founder can act on ("1 of 2 trusts")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.i18n import day
from matchmaker.messages import Joined, Later, Message, _, ngettext
from matchmaker.models import Collaboration, FundingInstrument, Profile
from matchmaker.services.collaborations.joint_needs import trusts_and_sites
from matchmaker.vocabulary import CLINICAL_AREAS, COUNTRIES

MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"
ENDED_STAGES = ("declined", "stopped")
# What a test type or procurement route would ask a funder to pay for.
PURPOSE_OF_TEST = {"pilot": "pilot", "usability_test": "test", "clinical_investigation": "test",
                   "health_economic_evaluation": "test"}
PURPOSE_OF_ROUTE = {"ofu_contract": "rd_contract", "pre_commercial_procurement": "rd_contract",
                    "innovation_partnership": "rd_contract"}


@dataclass
class Check:
    code: str
    status: str
    text: Message  # worded where it is shown


@dataclass
class Subject:
    """What the checks need to know of a need or a collaboration."""

    kind: str
    need: Profile
    trusts: int
    supplier_name: str | None = None
    product_trl: int | None = None
    has_product: bool = False
    purposes: list[str] = field(default_factory=list)
    country: str = "NO"
    clinical_areas: list[str] = field(default_factory=list)


def need_subject(session: Session, need: Profile) -> Subject:
    trusts, _sites = trusts_and_sites(session, need)
    active = session.scalars(select(Collaboration).where(Collaboration.need_id == need.id,
                                                         Collaboration.stage.not_in(ENDED_STAGES))
                             .order_by(Collaboration.id)).first()
    purposes = [PURPOSE_OF_TEST[t] for t in need.test_types if t in PURPOSE_OF_TEST]
    if getattr(need, "procurement_route", None) in PURPOSE_OF_ROUTE:
        purposes.append(PURPOSE_OF_ROUTE[need.procurement_route])
    return Subject("need", need, trusts, supplier_name=active.supplier.name if active else None,
                   purposes=list(dict.fromkeys(purposes)), country=need.organisation.country,
                   clinical_areas=need.clinical_areas)


def collaboration_subject(session: Session, collaboration: Collaboration) -> Subject:
    trusts, _sites = trusts_and_sites(session, collaboration.need)
    test_type = collaboration.current_terms.test_type if collaboration.current_terms else None
    capability = collaboration.capability
    return Subject("collaboration", collaboration.need, trusts, supplier_name=collaboration.supplier.name,
                   product_trl=getattr(capability, "trl", None), has_product=capability is not None,
                   purposes=[PURPOSE_OF_TEST[test_type]] if test_type in PURPOSE_OF_TEST else [],
                   country=collaboration.department.country, clinical_areas=collaboration.need.clinical_areas)


def check_all(instrument: FundingInstrument, subject: Subject, today: date | None = None) -> list[Check]:
    checks = [_deadline(instrument, today or date.today()), _applicants(instrument, subject),
              _purposes(instrument, subject)]
    if instrument.min_trusts:
        checks.append(_trusts(instrument, subject))
    if instrument.requires_supplier:
        checks.append(_supplier(subject))
    if instrument.trl_min or instrument.trl_max:
        checks.append(_trl(instrument, subject))
    if instrument.countries:
        checks.append(_countries(instrument, subject))
    if instrument.clinical_areas:
        checks.append(_clinical_areas(instrument, subject))
    return checks


def _deadline(instrument: FundingInstrument, today: date) -> Check:
    if instrument.deadline is None:
        return Check("deadline", MET, _("Rolling call: apply any time"))
    deadline = instrument.deadline
    when = Later(lambda: day(deadline))  # in the reader's language, when shown
    days = (instrument.deadline - today).days
    if days < 0:
        return Check("deadline", NOT_MET, _("Deadline %(date)s: passed", date=when))
    return Check("deadline", MET, ngettext("Deadline %(date)s: %(num)d day left",
                                           "Deadline %(date)s: %(num)d days left", days, date=when))


def _applicant_words(code: str) -> Message:
    return {"supplier": _("suppliers"), "health_trust": _("health trusts"), "consortium": _("consortia")}[code]


def _applicants(instrument: FundingInstrument, subject: Subject) -> Check:
    """A collaboration can apply as supplier, consortium or trust; a need only through its trust.
    The text says what the instrument allows; the status alone says whether that fits."""
    order = ("supplier", "consortium", "health_trust") if subject.kind == "collaboration" else ("health_trust",)
    allowed = [code for code in ("supplier", "consortium", "health_trust") if code in (instrument.applicants or [])]
    if not allowed:
        return Check("applicants", UNKNOWN, _("Who may apply is not said"))
    fitting = next((code for code in order if code in allowed), None)
    if fitting:
        return Check("applicants", MET, _("Open to %(who)s", who=_applicant_words(fitting)))
    if subject.kind == "need" and "consortium" in allowed:
        return Check("applicants", UNKNOWN, _("Open to consortia: the trust would apply together with a supplier"))
    return Check("applicants", NOT_MET, _("Open only to %(who)s",
                                          who=Joined(_applicant_words(code) for code in allowed)))


def _purpose_plural(code: str) -> Message | str:
    return {"pre_project": _("pre-projects"), "test": _("tests and verification"), "pilot": _("pilots"),
            "rd_contract": _("public R&D contracts")}.get(code, code)


def _purpose_single(code: str) -> Message | str:
    return {"pre_project": _("a pre-project"), "test": _("a test"), "pilot": _("a pilot"),
            "rd_contract": _("an R&D contract")}.get(code, code)


def _purposes(instrument: FundingInstrument, subject: Subject) -> Check:
    funded = instrument.purposes or []
    shared = [code for code in subject.purposes if code in funded]
    shown = shared[:1] or funded
    funds = _("Funds %(what)s", what=Joined(_purpose_plural(code) for code in shown))
    if not subject.purposes:
        return Check("purposes", UNKNOWN, _("%(funds)s: not said yet", funds=funds))
    status = MET if shared else NOT_MET
    return Check("purposes", status, _("%(funds)s: %(subject)s", funds=funds,
                                       subject=_subject_is(subject, (shared or subject.purposes)[0])))


def _subject_is(subject: Subject, purpose: str) -> Message:
    if subject.kind == "collaboration":
        return _("the collaboration is %(what)s", what=_purpose_single(purpose))
    return _("the need asks for %(what)s", what=_purpose_single(purpose))


def _trusts(instrument: FundingInstrument, subject: Subject) -> Check:
    wanted = instrument.min_trusts
    status = MET if subject.trusts >= wanted else NOT_MET
    return Check("min_trusts", status, ngettext(
        "Requires binding participation of %(num)d or more trusts: %(count)d of %(num)d",
        "Requires binding participation of %(num)d or more trusts: %(count)d of %(num)d",
        wanted, count=subject.trusts))


def _supplier(subject: Subject) -> Check:
    if subject.supplier_name:
        return Check("supplier", MET, _("Requires a supplier: %(name)s", name=subject.supplier_name))
    return Check("supplier", NOT_MET, _("Requires a supplier: none yet"))


def _trl(instrument: FundingInstrument, subject: Subject) -> Check:
    low, high = instrument.trl_min or 1, instrument.trl_max or 9
    wanted = _("TRL %(low)d–%(high)d wanted", low=low, high=high)
    if not subject.has_product:
        return Check("trl", UNKNOWN, _("%(wanted)s: no product chosen yet", wanted=wanted))
    if subject.product_trl is None:
        return Check("trl", UNKNOWN, _("%(wanted)s: the product's TRL is not given", wanted=wanted))
    status = MET if low <= subject.product_trl <= high else NOT_MET
    return Check("trl", status, _("%(wanted)s: the product is at TRL %(trl)d", wanted=wanted,
                                  trl=subject.product_trl))


def _countries(instrument: FundingInstrument, subject: Subject) -> Check:
    names = Joined(_label(COUNTRIES, code) for code in instrument.countries)
    status = MET if subject.country in instrument.countries else NOT_MET
    return Check("countries", status, _("Open in %(countries)s: the department is in %(country)s",
                                        countries=names, country=_label(COUNTRIES, subject.country)))


def _clinical_areas(instrument: FundingInstrument, subject: Subject) -> Check:
    names = Joined(_label(CLINICAL_AREAS, code) for code in instrument.clinical_areas)
    shared = [code for code in subject.clinical_areas if code in instrument.clinical_areas]
    if not subject.clinical_areas:
        return Check("clinical_areas", UNKNOWN, _("For %(areas)s: the need names no clinical area", areas=names))
    if shared:
        return Check("clinical_areas", MET, _("For %(areas)s: shared", areas=names))
    return Check("clinical_areas", NOT_MET, _("For %(areas)s: none shared", areas=names))


def _label(vocabulary: dict, code: str | None) -> object:
    """A code's label, worded when shown; the code itself when unknown."""
    return "" if code is None else vocabulary.get(code, code)
