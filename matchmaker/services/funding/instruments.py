"""Creating, changing, publishing, archiving and reading funding instruments.

Only members of the owning agency change an instrument; drafts are 'not found' for everyone
else, so they do not even reveal that they exist."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from matchmaker.messages import _
from matchmaker.models import FundingInstrument, User
from matchmaker.models.types import utcnow
from matchmaker.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from matchmaker.services.funding.embedding import embed_instrument
from matchmaker.services.funding.schemas import InstrumentInput, validate_instrument

log = logging.getLogger(__name__)
AGENCY_KIND = "funding_agency"
STORED_FIELDS = tuple(name for name in InstrumentInput.model_fields if name != "rolling")


def is_agency_member(user: User | None) -> bool:
    return user is not None and user.organisation is not None and user.organisation.kind == AGENCY_KIND


def can_edit(user: User | None, instrument: FundingInstrument) -> bool:
    return user is not None and user.organisation_id == instrument.organisation_id


def can_view(user: User | None, instrument: FundingInstrument) -> bool:
    return instrument.is_public or can_edit(user, instrument) or bool(user and user.is_admin)


def get_visible(session: Session, user: User | None, instrument_id: int) -> FundingInstrument:
    instrument = session.get(FundingInstrument, instrument_id)
    if instrument is None or not can_view(user, instrument):
        raise NotFound(_("No such funding instrument."))
    return instrument


def ensure_can_edit(user: User, instrument: FundingInstrument) -> None:
    if not can_edit(user, instrument):
        raise PermissionDenied(_("Only members of %(name)s can change this instrument.",
                                 name=instrument.organisation.name))


def ensure_can_create(user: User | None) -> None:
    if not is_agency_member(user):
        raise PermissionDenied(_("Only funding agencies publish funding instruments."))


def create(session: Session, user: User, data: dict[str, Any]) -> FundingInstrument:
    ensure_can_create(user)
    cleaned = validate_instrument(data)
    _refuse_past_deadline(cleaned, None)
    instrument = FundingInstrument(organisation_id=user.organisation_id, created_by_id=user.id)
    _apply(instrument, cleaned)
    session.add(instrument)
    session.flush()
    embed_instrument(session, instrument)
    log.info("user %s created funding instrument %s", user.id, instrument.id)
    return instrument


def update(session: Session, user: User, instrument: FundingInstrument, changes: dict[str, Any]) -> FundingInstrument:
    """Apply a partial change: the merged result is validated as a whole."""
    ensure_can_edit(user, instrument)
    merged = {**editable_fields(instrument), **changes}
    if "deadline" in changes and "rolling" not in changes:
        merged["rolling"] = changes["deadline"] in (None, "")  # a new deadline ends a rolling call, and back
    cleaned = validate_instrument(merged)
    _refuse_past_deadline(cleaned, instrument.deadline)
    _apply(instrument, cleaned)
    session.flush()
    embed_instrument(session, instrument)
    return instrument


def publish(session: Session, user: User, instrument: FundingInstrument) -> FundingInstrument:
    return update(session, user, instrument, {"status": "published"})


def archive(session: Session, user: User, instrument: FundingInstrument) -> FundingInstrument:
    ensure_can_edit(user, instrument)
    if instrument.status == "archived":
        raise Conflict(_("This instrument is already archived."))
    instrument.status = "archived"
    session.flush()
    return instrument


def _refuse_past_deadline(cleaned: InstrumentInput, stored: date | None) -> None:
    """A new deadline must lie ahead; an unchanged, passed one may stay (to fix a typo later)."""
    if cleaned.deadline and cleaned.deadline != stored and cleaned.deadline < date.today():
        raise ValidationFailed(_("Please correct the marked fields."),
                               {"deadline": _("The deadline has passed; give a later date.")})


def _apply(instrument: FundingInstrument, cleaned: InstrumentInput) -> None:
    values = cleaned.model_dump()
    for name in STORED_FIELDS:
        setattr(instrument, name, values[name])
    if instrument.status == "published" and instrument.published_at is None:
        instrument.published_at = utcnow()


def editable_fields(instrument: FundingInstrument) -> dict[str, Any]:
    """The instrument's fields as the input schema names them (for merging and form filling)."""
    fields = {name: getattr(instrument, name) for name in STORED_FIELDS}
    fields["rolling"] = instrument.deadline is None
    if instrument.status == "archived":
        fields["status"] = "draft"  # editing an archived instrument keeps it out of sight
    return fields


@dataclass
class InstrumentFilters:
    purpose: str | None = None
    open_only: bool = False


def open_clause():
    """Rolling calls, and calls whose deadline is today or later."""
    return or_(FundingInstrument.deadline.is_(None), FundingInstrument.deadline >= date.today())


def published(session: Session, filters: InstrumentFilters | None = None) -> list[FundingInstrument]:
    """Published instruments of approved agencies, soonest deadline first, rolling ones last."""
    filters = filters or InstrumentFilters()
    query = (select(FundingInstrument).join(FundingInstrument.organisation)
             .where(FundingInstrument.public_clause()))
    if filters.open_only:
        query = query.where(open_clause())
    found = session.scalars(query.order_by(FundingInstrument.deadline.is_(None), FundingInstrument.deadline,
                                           FundingInstrument.title)).unique()
    # Purposes are a JSON list; instruments are few, so filtering here stays portable.
    return [i for i in found if not filters.purpose or filters.purpose in (i.purposes or [])]


def of_agency(session: Session, organisation_id: int) -> list[FundingInstrument]:
    """All of one agency's instruments for its members, archived last."""
    return list(session.scalars(select(FundingInstrument).where(FundingInstrument.organisation_id == organisation_id)
                                .order_by(FundingInstrument.status == "archived",
                                          FundingInstrument.updated_at.desc())).unique())


def agency_members(session: Session, organisation_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.organisation_id == organisation_id)))
