"""Whose indicators someone may see: staff of a trust or its departments see their trust, staff
of a funding agency their agency, administrators the platform or any trust or agency they pick.
Nobody else sees another organisation's figures."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, ValidationInfo, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.messages import _
from matchmaker.models import Organisation, User
from matchmaker.models.accounts import CARE_PROVIDER_KINDS
from matchmaker.services.errors import NotFound, PermissionDenied
from matchmaker.services.indicators import Period, Scope, agency_scope, platform_scope, trust_scope
from matchmaker.services.schemas import validated

SCOPE_ORGANISATION_KINDS = (*CARE_PROVIDER_KINDS, "funding_agency")


def can_see_indicators(user: User | None) -> bool:
    if user is None or not getattr(user, "is_authenticated", True):
        return False
    organisation = user.organisation
    # An unapproved organisation could claim any trust as its parent; it sees nothing until approved.
    return user.is_admin or (organisation is not None and organisation.is_approved
                             and organisation.kind in SCOPE_ORGANISATION_KINDS)


def trust_organisation(session: Session, organisation: Organisation) -> Organisation:
    return session.get(Organisation, organisation.trust_id)


def scope_of(session: Session, organisation: Organisation) -> Scope:
    """The scope an organisation's staff see: a department sees its whole trust."""
    if organisation.kind in CARE_PROVIDER_KINDS:
        return trust_scope(session, trust_organisation(session, organisation))
    if organisation.kind == "funding_agency":
        return agency_scope(organisation)
    raise NotFound(_("Indicators exist for health trusts and funding agencies only."))


def scope_for(session: Session, user: User | None, organisation_id: int | None = None) -> Scope:
    """The scope ``user`` asked for; only administrators may pick another organisation's."""
    if not can_see_indicators(user):
        raise PermissionDenied(_("Indicators are for health trusts, funding agencies and administrators."))
    if user.is_admin:
        return _picked_scope(session, organisation_id) if organisation_id else platform_scope()
    own = scope_of(session, user.organisation)
    if organisation_id and organisation_id not in own.organisation_ids:
        raise PermissionDenied(_("You can only see the indicators of your own organisation."))
    return own


def _picked_scope(session: Session, organisation_id: int) -> Scope:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(_("No such organisation."))
    return scope_of(session, organisation)


def trust_scope_for(session: Session, user: User | None, organisation_id: int | None = None) -> Scope:
    """For the trust overview: a trust's staff see their trust; administrators pick one."""
    scope = scope_for(session, user, organisation_id)
    if scope.kind != "trust":
        raise PermissionDenied(_("The trust overview is for health trusts and their departments."))
    return scope


def scope_choices(session: Session) -> list[Organisation]:
    """Trusts and funding agencies an administrator can pick, by name."""
    query = select(Organisation).where(Organisation.kind.in_(("health_trust", "funding_agency")))
    return list(session.scalars(query.order_by(Organisation.kind, Organisation.name)))


def _date(value: Any) -> date | None:
    text = value.strip() if isinstance(value, str) else value
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(_("Write the date as YYYY-MM-DD.")) from None


class PeriodInput(BaseModel):
    start: Annotated[date | None, BeforeValidator(_date)] = Field(None, alias="from")
    end: Annotated[date | None, BeforeValidator(_date)] = Field(None, alias="to")

    @field_validator("end")
    @classmethod
    def _not_before_start(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start")
        if start and end and start > end:
            raise ValueError(_("The end date comes before the start date."))
        return end


def parse_period(start: str | None, end: str | None) -> Period:
    """The date range from query text (YYYY-MM-DD, either may be empty)."""
    period = validated(PeriodInput, {"from": start, "to": end}, message=_("Please correct the dates."))
    return Period(period.start, period.end)
