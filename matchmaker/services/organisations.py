"""Organisations: registering, approving and listing them."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, joinedload

from matchmaker.matching.store import record_changes
from matchmaker.messages import _
from matchmaker.models import Organisation, Profile, User
from matchmaker.models.types import utcnow
from matchmaker.services import audit, permissions
from matchmaker.services.browse import Page
from matchmaker.services.errors import Conflict, NotFound, ValidationFailed
from matchmaker.services.schemas import one_of, text_within, validated
from matchmaker.services.storable import nfc
from matchmaker.vocabulary import COMPANY_SIZES, COUNTRIES, ORGANISATION_KINDS, PARENT_KINDS

log = logging.getLogger(__name__)

# The admin's filter: where an organisation stands.
ADMIN_STATES = {
    "pending": and_(Organisation.approved_at.is_(None), Organisation.declined_at.is_(None)),
    "approved": Organisation.approved_at.is_not(None),
    "declined": and_(Organisation.approved_at.is_(None), Organisation.declined_at.is_not(None)),
}
ADMIN_PER_PAGE = 50


NAME_LENGTH = (2, 200)
TEXT_LIMITS = {"org_number": 40, "website": 300}  # the widths of their columns
FIRST_YEAR = 1800


class OrganisationInput(BaseModel):
    """An organisation's facts. Imports carry more (extra, external_id), kept as they are; the
    parent is checked apart, as it needs the database."""

    model_config = ConfigDict(extra="allow", validate_default=True)

    name: str = ""
    kind: Any = None
    country: Any = "NO"
    size: Any = None
    website: Any = None
    org_number: Any = None
    founded: Any = None

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> str:
        name = str(value or "").strip()
        if not NAME_LENGTH[0] <= len(name) <= NAME_LENGTH[1]:
            raise ValueError(_("Give the organisation's name (2 to 200 characters)."))  # NAME_LENGTH
        return name

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: Any) -> Any:
        return one_of(ORGANISATION_KINDS, _("Choose what kind of organisation this is."))(value)

    @field_validator("country")
    @classmethod
    def _country(cls, value: Any) -> Any:
        return one_of(COUNTRIES, _("Choose a country from the list."))(value)

    @field_validator("size")
    @classmethod
    def _size(cls, value: Any) -> Any:
        return one_of(COMPANY_SIZES, _("Choose a size from the list."))(value) if value else value

    @field_validator("website")
    @classmethod
    def _website(cls, value: Any) -> Any:
        if value and not str(value).startswith(("https://", "http://")):
            raise ValueError(_("Give the full address, starting with https://."))
        return _fits(value, "website")

    @field_validator("org_number")
    @classmethod
    def _org_number(cls, value: Any) -> Any:
        return _fits(value, "org_number")

    @field_validator("founded")
    @classmethod
    def _founded(cls, value: Any) -> Any:
        if value and not _year(value):
            raise ValueError(_("Give the year it was founded."))
        return value


def _fits(value: Any, field: str) -> Any:
    """Forms check these lengths too; imports only here."""
    limit = TEXT_LIMITS[field]
    if len(str(value or "")) > limit:
        raise ValueError(_("At most %(count)d characters.", count=limit))
    return value


def validate_organisation(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """Check organisation fields; returns them cleaned or raises ValidationFailed."""
    data = nfc(data)
    errors: dict[str, str] = {}
    try:
        checked = validated(OrganisationInput, data)
    except ValidationFailed as error:
        checked, errors = None, dict(error.field_errors)
    parent = _valid_parent(session, data.get("kind"), data.get("parent_id"), errors)
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors)
    return {**data, "name": checked.name, "parent": parent, "country": data.get("country") or "NO"}


def _year(value: Any) -> bool:
    """Whether a founding year is a whole number from 1800 to this year."""
    try:
        return FIRST_YEAR <= int(value) <= utcnow().year
    except (TypeError, ValueError):
        return False


def _valid_parent(session: Session, kind: str | None, parent_id: int | None, errors: dict) -> Organisation | None:
    if not parent_id:
        return None
    parent = session.get(Organisation, parent_id)
    if parent is None or parent.kind not in PARENT_KINDS.get(kind or "", ()):
        errors["parent_id"] = _("This organisation cannot belong to the one chosen.")
        return None
    return parent


def create_organisation(session: Session, data: dict[str, Any], approved: bool = False) -> Organisation:
    cleaned = validate_organisation(session, data)
    organisation = Organisation(
        name=cleaned["name"], kind=cleaned["kind"], country=cleaned["country"],
        parent=cleaned["parent"], org_number=cleaned.get("org_number") or None,
        website=cleaned.get("website") or None, description=cleaned.get("description") or None,
        size=cleaned.get("size") or None, founded=cleaned.get("founded") or None,
        extra=cleaned.get("extra") or {}, approved_at=utcnow() if approved else None,
    )
    if cleaned.get("external_id"):
        organisation.external_id = cleaned["external_id"]
    session.add(organisation)
    session.flush()
    return organisation


EDITABLE_FIELDS = ("name", "country", "org_number", "website", "description", "size", "founded")


def update_organisation(
    session: Session, user: User, organisation: Organisation, data: dict[str, Any]
) -> Organisation:
    """Members change their own organisation's facts; kind and place in the hierarchy stay."""
    permissions.ensure_can_edit_organisation(user, organisation)
    merged = {**{name: getattr(organisation, name) for name in EDITABLE_FIELDS}, **data}
    cleaned = validate_organisation(session, {**merged, "kind": organisation.kind})
    for name in EDITABLE_FIELDS:
        setattr(organisation, name, cleaned.get(name) or None)
    organisation.country = cleaned["country"]
    session.flush()
    return organisation


def approve_organisation(session: Session, admin: User, organisation: Organisation) -> Organisation:
    """Approving a declined organisation is allowed: the admin changed their mind."""
    permissions.ensure_admin(admin)
    if not organisation.is_approved:
        organisation.approved_at = utcnow()
        organisation.approved_by_id = admin.id
        organisation.declined_at = organisation.declined_by_id = organisation.decline_reason = None
        # Its published profiles become public: every worker's index must learn of them.
        record_changes(session, session.scalars(select(Profile.id).where(Profile.organisation_id == organisation.id)))
        log.info("admin %s approved organisation %s", admin.id, organisation.id)
        audit.record(session, admin, "organisation.approved", organisation, name=organisation.name)
    return organisation


DECLINE_REASON_LIMIT = 2000


def decline_organisation(session: Session, admin: User, organisation: Organisation, reason: str) -> Organisation:
    """Refuses a pending organisation. Its members may still sign in and read the reason, which
    is therefore required."""
    permissions.ensure_admin(admin)
    reason = text_within("reason", reason, DECLINE_REASON_LIMIT, required=True,
                         message=_("Say why in at most %(count)d characters; the members will read it.",
                                   count=DECLINE_REASON_LIMIT))
    if organisation.is_approved:
        raise Conflict(_("%(name)s is already approved.", name=organisation.name))
    organisation.declined_at, organisation.declined_by_id = utcnow(), admin.id
    organisation.decline_reason = reason
    session.flush()
    log.info("admin %s declined organisation %s", admin.id, organisation.id)
    audit.record(session, admin, "organisation.declined", organisation, name=organisation.name, reason=reason)
    return organisation


def get_organisation(session: Session, viewer: User | None, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not permissions.can_view_organisation(viewer, organisation):
        raise NotFound(_("No such organisation."))
    return organisation


def list_organisations(session: Session, viewer: User | None, kind: str | None = None) -> list[Organisation]:
    """Approved organisations, plus the viewer's own (and all of them for an admin)."""
    query = select(Organisation).order_by(Organisation.name)
    if kind:
        query = query.where(Organisation.kind == kind)
    if not (viewer and viewer.is_admin):
        own = viewer.organisation_id if viewer and viewer.organisation_id else -1
        query = query.where((Organisation.approved_at.is_not(None)) | (Organisation.id == own))
    return list(session.scalars(query))


def search_approved(session: Session, text: str, limit: int = 20) -> list[Organisation]:
    """Approved organisations whose names hold every word, for someone looking for their own."""
    words = nfc(text or "").lower().split()[:10]
    if not words:
        return []
    query = select(Organisation).where(Organisation.approved_at.is_not(None))
    for word in words:
        query = query.where(func.lower(Organisation.name).contains(word, autoescape=True))
    return list(session.scalars(query.order_by(Organisation.name, Organisation.id).limit(limit)))


def pending_organisations(session: Session) -> list[Organisation]:
    """Waiting for a decision: neither approved nor declined, oldest first."""
    query = select(Organisation).where(ADMIN_STATES["pending"]).order_by(Organisation.created_at)
    return list(session.scalars(query))


def parent_choices(session: Session, kind: str) -> list[Organisation]:
    """Organisations a new one of this kind may belong to."""
    kinds = PARENT_KINDS.get(kind, ())
    if not kinds:
        return []
    query = select(Organisation).where(Organisation.kind.in_(kinds), Organisation.approved_at.is_not(None))
    return list(session.scalars(query.order_by(Organisation.name)))


@dataclass
class AdminRow:
    organisation: Organisation
    registered_by: User | None  # the first member, who registered it
    declined_by: str = ""  # the administrator's name, when declined


def admin_list(session: Session, admin: User, search: str = "", state: str | None = None,
               page: int = 1, per_page: int = ADMIN_PER_PAGE) -> Page[AdminRow]:
    """Every organisation for an administrator: pending ones first, then by name."""
    permissions.ensure_admin(admin)
    query = select(Organisation)
    for word in nfc(search or "").lower().split()[:10]:
        query = query.where(func.lower(Organisation.name).contains(word, autoescape=True))
    if state in ADMIN_STATES:
        query = query.where(ADMIN_STATES[state])
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, min(page, math.ceil(total / per_page) or 1))
    pending_first = (Organisation.approved_at.is_not(None)) | (Organisation.declined_at.is_not(None))
    ordered = query.options(joinedload(Organisation.parent)).order_by(
        pending_first, Organisation.name, Organisation.id).limit(per_page).offset((page - 1) * per_page)
    organisations = list(session.scalars(ordered))
    first = first_members(session, [o.id for o in organisations])
    deciders = user_names(session, {o.declined_by_id for o in organisations if o.declined_by_id})
    rows = [AdminRow(o, first.get(o.id), deciders.get(o.declined_by_id, "")) for o in organisations]
    return Page(rows, total, page, per_page)


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def first_members(session: Session, organisation_ids: list[int]) -> dict[int, User]:
    """The earliest account of each organisation, in one query."""
    earliest = (select(func.min(User.id)).where(User.organisation_id.in_(organisation_ids))
                .group_by(User.organisation_id))
    users = session.scalars(select(User).where(User.id.in_(earliest)))
    return {user.organisation_id: user for user in users}


def state_counts(session: Session) -> dict[str, int]:
    """How many organisations are in each state, for the filter's labels."""
    return {state: session.scalar(select(func.count(Organisation.id)).where(clause)) or 0
            for state, clause in ADMIN_STATES.items()}
