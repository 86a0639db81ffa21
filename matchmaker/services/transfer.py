"""Import and export of organisations and profiles as JSON Lines.

Imports are all-or-nothing: every line is checked first, and one bad line means nothing
is written. Re-importing a record with the same ``id`` updates it instead of adding another.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.matching.store import record_changes, refresh_profiles
from matchmaker.models import Organisation, Profile
from matchmaker.models.types import utcnow
from matchmaker.services import context, records
from matchmaker.services.errors import DomainError
from matchmaker.services.organisations import validate_organisation
from matchmaker.services.profiles import MODEL_BY_KIND, apply_input, profile_fields
from matchmaker.services.records import RecordError
from matchmaker.services.schemas import validate_profile
from matchmaker.services.storable import nfc, unstorable_fields

log = logging.getLogger(__name__)

RECORD_KINDS = ("organisation", "need", "capability")
EXTERNAL_ID_LIMIT = 200  # the width of the external_id and name columns
# Profiles whose record names no organisation are filed under one of these.
UNASSIGNED = {"need": ("import-unassigned-needs", "Unassigned needs (import)", "clinical_department"),
              "capability": ("import-unassigned-suppliers", "Unassigned suppliers (import)", "supplier")}


@dataclass
class LineProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportFailed(DomainError):
    status = 422

    def __init__(self, problems: list[LineProblem]):
        super().__init__(f"{len(problems)} bad line(s); nothing was imported")
        self.problems = problems


@dataclass
class Checked:
    line: int
    kind: str
    external_id: str
    data: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    organisation_ref: str | None = None
    approved: bool = True


@dataclass
class ImportReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    warnings: list[LineProblem] = field(default_factory=list)


def parse_lines(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any] | LineProblem]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, LineProblem(number, f"not valid JSON ({error.msg} at column {error.colno})")
            continue
        unstorable = unstorable_fields(record) if isinstance(record, dict) else {}
        if unstorable:
            yield number, LineProblem(number, "; ".join(f"{name}: {problem}" for name, problem in unstorable.items()))
            continue
        yield number, nfc(record) if isinstance(record, dict) else LineProblem(number, "not a JSON object")


def import_lines(session: Session, lines: Iterable[str], progress: Callable[[int], None] = lambda n: None,
                 embed_progress: Callable[[int], None] = lambda n: None) -> ImportReport:
    """Check every line, then write everything in one savepoint and embed the profiles.
    ``progress`` advances once per line checked, ``embed_progress`` once per profile embedded."""
    report = ImportReport()
    checked, problems = _check_all(session, parse_lines(lines), report, progress)
    if problems:
        raise ImportFailed(problems)
    with session.begin_nested():
        organisations = _apply_organisations(session, [c for c in checked if c.kind == "organisation"], report)
        profiles = [_apply_profile(session, item, organisations, report)
                    for item in checked if item.kind != "organisation"]
        refresh_profiles(session, profiles, context.of(session).encoder(), embed_progress)
        record_changes(session, _organisation_profile_ids(session, organisations.values()))
    return report


def _organisation_profile_ids(session: Session, organisations) -> list[int]:
    """Profiles whose visibility may have changed with their organisation's approval."""
    ids = [o.id for o in organisations if o.id is not None]
    return list(session.scalars(select(Profile.id).where(Profile.organisation_id.in_(ids)))) if ids else []


def _check_all(session, parsed, report, progress) -> tuple[list[Checked], list[LineProblem]]:
    checked: list[Checked] = []
    problems: list[LineProblem] = []
    seen: set[tuple[str, str]] = set()
    for number, record in parsed:
        progress(1)
        if isinstance(record, LineProblem):
            problems.append(record)
            continue
        try:
            item = _check_record(session, number, record, report)
        except (RecordError, DomainError) as error:
            problems.append(LineProblem(number, _describe(error)))
            continue
        if (item.kind, item.external_id) in seen:
            problems.append(LineProblem(number, f"{item.kind} id {item.external_id!r} appears twice in the file"))
        seen.add((item.kind, item.external_id))
        checked.append(item)
    problems.extend(_check_references(session, checked))
    return checked, problems


def _describe(error: Exception) -> str:
    if isinstance(error, DomainError) and error.field_errors:
        return "; ".join(f"{name}: {message}" for name, message in error.field_errors.items())
    return getattr(error, "message", None) or str(error)


def _check_record(session: Session, number: int, record: dict, report: ImportReport) -> Checked:
    kind = record.get("kind")
    if kind not in RECORD_KINDS:
        raise RecordError(f"kind must be one of {', '.join(RECORD_KINDS)}, not {kind!r}")
    external_id = record.get("id")
    if not isinstance(external_id, str | int) or str(external_id).strip() == "":
        raise RecordError("id is missing: every record needs a stable id so re-imports update it")
    external_id = str(external_id).strip()
    if len(external_id) > EXTERNAL_ID_LIMIT:
        raise RecordError(f"id: at most {EXTERNAL_ID_LIMIT} characters")
    if kind == "organisation":
        data = records.organisation_input(record)
        validate_organisation(session, {k: val for k, val in data.items() if k != "extra"})
        return Checked(number, kind, external_id, data, organisation_ref=_ref(record.get("parent")),
                       approved=record.get("approved", True) is not False)
    warnings: list[str] = []
    data, extra = records.profile_input(kind, record, warnings)
    validate_profile(kind, data)
    report.warnings.extend(LineProblem(number, warning) for warning in warnings)
    organisation_ref = _ref(record.get("organisation"))
    if organisation_ref and len(organisation_ref) > EXTERNAL_ID_LIMIT:
        # an unknown one becomes a new organisation with this as its id and name
        raise RecordError(f"organisation: at most {EXTERNAL_ID_LIMIT} characters")
    return Checked(number, kind, external_id, data, extra, organisation_ref=organisation_ref)


def _ref(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id") or value.get("name")
    return str(value).strip() if value not in (None, "") else None


def _check_references(session: Session, checked: list[Checked]) -> list[LineProblem]:
    in_file = {c.external_id for c in checked if c.kind == "organisation"}
    problems = []
    for item in checked:
        ref = item.organisation_ref if item.kind == "organisation" else None
        if ref and ref not in in_file and _find_organisation(session, ref) is None:
            message = f"parent {ref!r} is not an organisation in this file or the database"
            problems.append(LineProblem(item.line, message))
    return problems


def _find_organisation(session: Session, ref: str) -> Organisation | None:
    found = session.scalar(select(Organisation).where(Organisation.external_id == ref))
    return found or session.scalar(select(Organisation).where(Organisation.name == ref).limit(1))


def _apply_organisations(session: Session, items: list[Checked], report: ImportReport) -> dict[str, Organisation]:
    by_ref: dict[str, Organisation] = {}
    for item in items:
        organisation = session.scalar(select(Organisation).where(Organisation.external_id == item.external_id))
        if organisation is None:
            organisation = Organisation(external_id=item.external_id)
            session.add(organisation)
            report.created["organisation"] += 1
        else:
            report.updated["organisation"] += 1
        _set_organisation_fields(organisation, item)
        by_ref[item.external_id] = organisation
    for item in items:
        if item.organisation_ref:
            by_ref[item.external_id].parent = by_ref.get(item.organisation_ref) or _find_organisation(
                session, item.organisation_ref)
    session.flush()
    return by_ref


def _set_organisation_fields(organisation: Organisation, item: Checked) -> None:
    for name in ("name", "kind", "country", "org_number", "website", "description", "size", "founded"):
        if name in item.data:
            setattr(organisation, name, item.data[name])
    organisation.country = organisation.country or "NO"
    organisation.extra = {**(organisation.extra or {}), **item.data.get("extra", {})}
    if item.approved and organisation.approved_at is None:
        organisation.approved_at = utcnow()


def _apply_profile(session: Session, item: Checked, organisations: dict[str, Organisation],
                   report: ImportReport) -> Profile:
    model = MODEL_BY_KIND[item.kind]
    owner = _owner(session, item, organisations)
    profile = session.scalar(select(model).where(model.external_id == item.external_id))
    if profile is None:
        profile = model(external_id=item.external_id, organisation=owner, extra={})
        session.add(profile)
        report.created[item.kind] += 1
    else:
        report.updated[item.kind] += 1
        profile.organisation = owner
    apply_input(profile, validate_profile(item.kind, item.data))
    profile.extra = {**(profile.extra or {}), **item.extra}
    session.flush()
    return profile


def _owner(session: Session, item: Checked, organisations: dict[str, Organisation]) -> Organisation:
    """The record's organisation by id or name; one that is named but unknown is created."""
    if item.organisation_ref:
        found = organisations.get(item.organisation_ref) or _find_organisation(session, item.organisation_ref)
        if found:
            return found
        ext_id, name, kind = item.organisation_ref, item.organisation_ref, UNASSIGNED[item.kind][2]
    else:
        ext_id, name, kind = UNASSIGNED[item.kind]
        # made by an earlier import, or by an earlier record of this one
        found = organisations.get(ext_id) or session.scalar(select(Organisation).where(
            Organisation.external_id == ext_id))
        if found:
            return found
    organisation = Organisation(external_id=ext_id, name=name[:200], kind=kind, country="NO",
                                approved_at=utcnow(), extra={})
    session.add(organisation)
    organisations[ext_id] = organisation
    return organisation


def export_records(session: Session) -> Iterator[dict[str, Any]]:
    """Every organisation (parents first), then every need and capability, as import records."""
    organisations = list(session.scalars(select(Organisation).order_by(Organisation.id)))
    for organisation in _parents_first(organisations):
        yield _organisation_record(organisation)
    for profile in session.scalars(select(Profile).order_by(Profile.kind.desc(), Profile.id)):
        yield _profile_record(profile)


def _parents_first(organisations: list[Organisation]) -> list[Organisation]:
    def depth(organisation: Organisation) -> int:
        level, current = 0, organisation
        while current.parent is not None and level < 10:
            level, current = level + 1, current.parent
        return level

    return sorted(organisations, key=depth)


def _organisation_record(organisation: Organisation) -> dict[str, Any]:
    record = {"kind": "organisation", "id": organisation.external_id, "name": organisation.name,
              "type": organisation.kind, "parent": organisation.parent.external_id if organisation.parent else None,
              "country": organisation.country, "org_number": organisation.org_number,
              "website": organisation.website, "description": organisation.description,
              "size": organisation.size, "founded": organisation.founded, "approved": organisation.is_approved}
    return {**(organisation.extra or {}), **{k: val for k, val in record.items() if val is not None}}


def _profile_record(profile: Profile) -> dict[str, Any]:
    fields = profile_fields(profile)
    record = {"kind": profile.kind, "id": profile.external_id,
              "organisation": profile.organisation.external_id, **fields}
    return {**(profile.extra or {}), **{k: val for k, val in record.items() if val not in (None, [])}}
