"""Collaborations seeking an instrument. The link shares the collaboration, read only, with the
members of the instrument's agency, and tells them about it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from matchmaker.messages import _
from matchmaker.models import Collaboration, FundingInstrument, FundingLink, User
from matchmaker.services import notifications
from matchmaker.services.errors import Conflict, NotFound, PermissionDenied
from matchmaker.services.funding.instruments import agency_members


def agency_can_view(user: User | None, collaboration: Collaboration) -> bool:
    """True for members of an agency whose instrument the collaboration seeks."""
    session = object_session(collaboration)
    if user is None or user.organisation_id is None or session is None:
        return False
    query = (select(FundingLink.id).join(FundingLink.instrument)
             .where(FundingLink.collaboration_id == collaboration.id,
                    FundingInstrument.organisation_id == user.organisation_id).limit(1))
    return session.scalar(query) is not None


def links_of(session: Session, collaboration: Collaboration) -> list[FundingLink]:
    return list(session.scalars(select(FundingLink).where(FundingLink.collaboration_id == collaboration.id)
                                .order_by(FundingLink.id)).unique())


def linked_collaborations(session: Session, instrument: FundingInstrument) -> list[Collaboration]:
    query = (select(Collaboration).join(FundingLink, FundingLink.collaboration_id == Collaboration.id)
             .where(FundingLink.instrument_id == instrument.id).order_by(FundingLink.id.desc()))
    return list(session.scalars(query).unique())


def _ensure_party(user: User, collaboration: Collaboration) -> None:
    if user.organisation_id not in collaboration.party_ids:
        raise PermissionDenied(_("Only %(supplier)s and %(department)s can seek funding for this collaboration.",
                                 supplier=collaboration.supplier.name, department=collaboration.department.name))


def seek(session: Session, user: User, collaboration: Collaboration, instrument: FundingInstrument) -> FundingLink:
    """The parties mark that they seek this instrument; its agency's members are told."""
    _ensure_party(user, collaboration)
    if not instrument.is_public:
        raise NotFound(_("No such funding instrument."))
    if instrument.deadline is not None and instrument.deadline < date.today():
        raise Conflict(_("The deadline of %(title)s has passed.", title=instrument.title))
    if any(link.instrument_id == instrument.id for link in links_of(session, collaboration)):
        raise Conflict(_("This collaboration already seeks %(title)s.", title=instrument.title))
    link = FundingLink(collaboration_id=collaboration.id, instrument_id=instrument.id, added_by_id=user.id)
    session.add(link)
    session.flush()
    notifications.notify(session, agency_members(session, instrument.organisation_id), "collaboration_funding",
                         collaboration_id=collaboration.id, need=collaboration.need.title,
                         title=instrument.title, name=user.organisation.name)
    return link


def stop_seeking(session: Session, user: User, collaboration: Collaboration, instrument_id: int) -> None:
    _ensure_party(user, collaboration)
    link = next((k for k in links_of(session, collaboration) if k.instrument_id == instrument_id), None)
    if link is None:
        raise NotFound(_("This collaboration does not seek that instrument."))
    session.delete(link)
    session.flush()
